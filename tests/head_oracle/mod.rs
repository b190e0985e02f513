//! httparse (1.x, default configuration) as the reference the engine's head tokenizer is
//! checked against: the same tokens or the same failure on every complete head. Shared
//! with the handshake fuzz targets.

use wsmachine::fuzzing::Tokens;
use wsmachine::{HandshakeFailure, Role};

/// httparse's reading of a complete head, mapped to the engine's failure names.
pub(crate) fn tokenize(
    role: Role,
    head: &[u8],
    max_headers: usize,
) -> Result<Tokens, HandshakeFailure> {
    let mut storage = vec![httparse::EMPTY_HEADER; max_headers];
    let (outcome, line, http11, headers) = match role {
        Role::Server => {
            let mut request = httparse::Request::new(&mut storage);
            let outcome = request.parse(head);
            let line = (
                request.method.unwrap_or_default().as_bytes().to_vec(),
                request.path.unwrap_or_default().to_string(),
            );
            let headers = fields(request.headers);
            (outcome, line, request.version == Some(1), headers)
        }
        Role::Client => {
            let mut response = httparse::Response::new(&mut storage);
            let outcome = response.parse(head);
            let line = (Vec::new(), response.code.unwrap_or_default().to_string());
            let headers = fields(response.headers);
            (outcome, line, response.version == Some(1), headers)
        }
    };
    match outcome {
        Ok(httparse::Status::Complete(_)) => Ok(Tokens {
            line,
            http11,
            headers,
        }),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeFailure::TooManyHeaders),
        Ok(httparse::Status::Partial) | Err(_) => Err(HandshakeFailure::Malformed),
    }
}

fn fields(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect()
}
