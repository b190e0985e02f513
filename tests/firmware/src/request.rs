//! The handshake bytes the firmwares share: the upgrade request every server takes, ours
//! and embedded-websocket's, and the 101 that answers it (wsmachine's answer, byte for
//! byte, and the canned response every client takes).

use crate::common::data;

/// Headers as Chromium sends them for `new WebSocket("ws://192.168.1.20/chat")`.
#[allow(dead_code)] // Clients take only the response.
pub const REQUEST: &[u8] = data!(b"GET /chat HTTP/1.1\r\n\
Host: 192.168.1.20\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://192.168.1.20\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n");

/// The 101 for `REQUEST`'s key (RFC 6455 §1.3: `dGhlIHNhbXBsZSBub25jZQ==`).
#[allow(dead_code)] // `ew-server` writes its own.
pub const RESPONSE: &[u8] = data!(
    b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
\r\n"
);
