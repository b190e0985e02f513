//! `wss://`: the tokio driver over tokio-rustls in both roles, with a self-signed
//! certificate generated at run time (rcgen) as the client's only root.

use std::sync::Arc;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use wsmachine::CloseCode;
use wsmachine::tokio::{Message, WebSocket};

struct Tls {
    acceptor: TlsAcceptor,
    connector: TlsConnector,
}

/// A fresh certificate for `localhost`; the server presents it, the client trusts only it.
fn tls() -> Tls {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = generated.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Tls {
        acceptor: TlsAcceptor::from(Arc::new(server)),
        connector: TlsConnector::from(Arc::new(client)),
    }
}

/// A TLS echo server for one connection; returns its address and how its side ended.
async fn echo_server(
    acceptor: TlsAcceptor,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Option<wsmachine::Closed>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        let mut ws = WebSocket::accept(tls).await.unwrap();
        while let Some(message) = ws.recv().await {
            if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                ws.send(m).await.unwrap();
            }
        }
        ws.closed()
    });
    (addr, server)
}

#[tokio::test]
async fn wss_echo_with_a_generated_certificate() {
    let tls = tls();
    let (addr, server) = echo_server(tls.acceptor).await;

    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = tls.connector.connect(name, tcp).await.unwrap();
    let host = format!("localhost:{}", addr.port());
    let mut ws = WebSocket::connect(stream, &host, "/secure").await.unwrap();

    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let messages = [
        Message::Text("hello over TLS".into()),
        Message::Text("你好 𠜎".into()),
        Message::Binary(Bytes::from(big)),
        Message::Binary(Bytes::new()),
    ];
    for message in messages {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), message);
    }
    ws.close(CloseCode::Normal, "done").await.unwrap();
    while let Some(message) = ws.recv().await {
        assert!(matches!(message.unwrap(), Message::Close(_)));
    }
    let client_closed = ws.closed().unwrap();
    assert!(client_closed.clean, "{client_closed:?}");
    let server_closed = server.await.unwrap().unwrap();
    assert!(server_closed.clean, "{server_closed:?}");
    assert_eq!(server_closed.code, CloseCode::Normal);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_gets_no_websocket() {
    let server_tls = tls();
    let other = tls(); // a different self-signed certificate as the only root
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = server_tls.acceptor;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        acceptor.accept(tcp).await.is_err()
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let error = other.connector.connect(name, tcp).await.unwrap_err();
    assert!(error.to_string().contains("certificate"), "{error}");
    assert!(
        server.await.unwrap(),
        "the server saw the handshake fail too"
    );
}
