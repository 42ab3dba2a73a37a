//! The HTTP front of the API, on `kompliant-http`. Checks run in a fixed order, cheapest
//! first. The server's checks come first, before this module sees the request: a malformed request
//! (400), then a body over [`crate::SimConfig::max_body_bytes`] (413: before reading it if
//! `Content-Length` declares it, as soon as it goes over if chunked). Then, here: HTTP method
//! (405), method path (404), Content-Type (415), `X-API-Version` (400), credentials (401),
//! JSON body (400), then the method itself.
//!
//! The server's 400 (a malformed body), 413 and 500 get the API's error envelope
//! (`BAD_REQUEST`, `PAYLOAD_TOO_LARGE`, `INTERNAL_ERROR`); its other refusals (408, 417, 503),
//! for which the API has no code, are plain text. A request malformed at the wire level (its
//! request line or headers) and a head over 16 KiB are answered 400 / 431 by hyper itself,
//! with an empty body.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::account::Credentials;
use crate::api::{error_body, success_body, ApiError, Params};
use crate::decided::{
    CODE_BAD_REQUEST, CODE_INTERNAL_ERROR, CODE_METHOD_NOT_ALLOWED, CODE_NOT_FOUND,
    CODE_PAYLOAD_TOO_LARGE, CODE_UNSUPPORTED_MEDIA_TYPE, SUPPORTED_API_VERSIONS,
};
use crate::methods::{Context, Method};
use kompliant_http::{Handler, Rejection, Request, Response};

/// The API's request handler.
pub(crate) fn handler(ctx: Arc<Context>) -> Handler {
    Arc::new(move |request| handle(&ctx, request))
}

/// The answer to a request the server refused itself (see the module documentation).
pub(crate) fn render_rejection(rejection: &Rejection) -> Response {
    let code = match rejection.status {
        400 => CODE_BAD_REQUEST,
        413 => CODE_PAYLOAD_TOO_LARGE,
        500 => CODE_INTERNAL_ERROR,
        _ => return rejection.to_response(),
    };
    error_response(&ApiError::new(
        rejection.status,
        code,
        rejection.message.clone(),
    ))
}

/// The request headers the API reads, moved out of the request (credentials wiped on drop).
#[derive(Default)]
struct ApiHeaders {
    content_type: Option<String>,
    api_version: Option<String>,
    api_key: Option<String>,
    auth_token: Option<Zeroizing<String>>,
    authorization: Option<Zeroizing<String>>,
    signed_elements: Option<String>,
}

impl ApiHeaders {
    /// The first of each header the API reads; every header value is wiped once read.
    fn take(headers: Vec<(String, String)>) -> ApiHeaders {
        let mut api = ApiHeaders::default();
        for (name, value) in headers {
            let value = Zeroizing::new(value);
            match name.to_ascii_lowercase().as_str() {
                "content-type" => first(&mut api.content_type, value),
                "x-api-version" => first(&mut api.api_version, value),
                "x-api-key" => first(&mut api.api_key, value),
                "x-api-signed-elements" => first(&mut api.signed_elements, value),
                "x-api-auth-token" => {
                    api.auth_token.get_or_insert(value);
                }
                "authorization" => {
                    api.authorization.get_or_insert(value);
                }
                _ => {}
            }
        }
        api
    }

    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            api_key: self.api_key.as_deref(),
            auth_token: self.auth_token.as_ref().map(|t| t.as_str()),
            authorization: self.authorization.as_ref().map(|a| a.as_str()),
            signed_elements: self.signed_elements.as_deref(),
        }
    }
}

/// Sets `slot` to `value` unless already set.
fn first(slot: &mut Option<String>, mut value: Zeroizing<String>) {
    if slot.is_none() {
        *slot = Some(std::mem::take(&mut *value));
    }
}

fn handle(ctx: &Context, request: Request) -> Response {
    if let Some(response) = crate::inspector::handle(ctx, &request) {
        return response;
    }
    if request.method != "POST" {
        let error = ApiError::new(
            405,
            CODE_METHOD_NOT_ALLOWED,
            "Every API method is called with POST",
        );
        return error_response(&error).with_header("Allow", "POST");
    }
    let path = request.path();
    let Some(method) = Method::from_path(path) else {
        let error = ApiError::new(
            404,
            CODE_NOT_FOUND,
            format!("Unknown API method {:?}", crate::api::bounded(path)),
        );
        return error_response(&error);
    };
    let Request { headers, body, .. } = request;
    let body = Zeroizing::new(body);
    let headers = ApiHeaders::take(headers);
    let result = preflight(ctx, &headers).and_then(|account| {
        let params = parse_params(&body)?;
        catch_unwind(AssertUnwindSafe(|| ctx.call(method, account, &params)))
            .unwrap_or_else(|_| Err(ApiError::internal("the simulator failed on this request")))
    });
    match result {
        Ok(data) => Response::json(200, success_body(data)),
        Err(error) => error_response(&error),
    }
}

/// Content-Type, API version and credentials: the caller's account.
fn preflight<'c>(ctx: &'c Context, headers: &ApiHeaders) -> Result<&'c crate::Account, ApiError> {
    if !is_json(headers.content_type.as_deref()) {
        return Err(ApiError::new(
            415,
            CODE_UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    if let Some(version) = headers.api_version.as_deref() {
        if !SUPPORTED_API_VERSIONS.contains(&version.trim()) {
            return Err(ApiError::bad_request(format!(
                "unsupported X-API-Version {:?} (supported: {})",
                crate::api::bounded(version),
                SUPPORTED_API_VERSIONS.join(", ")
            )));
        }
    }
    ctx.auth
        .authenticate(&headers.credentials())
        .map_err(|failure| ApiError::unauthorized(format!("Authentication failed: {}", failure.0)))
}

/// `application/json`, optionally with `charset=utf-8`.
fn is_json(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let media_ok = parts
        .next()
        .is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    media_ok
        && parts.all(|param| match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// The body as a JSON object.
fn parse_params(body: &[u8]) -> Result<Params, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(params)) => Ok(params),
        Ok(_) => Err(ApiError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON (line {} column {})",
            e.line(),
            e.column()
        ))),
    }
}

fn error_response(error: &ApiError) -> Response {
    Response::json(error.status, error_body(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(is_json(Some(ok)), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
        ] {
            assert!(!is_json(Some(bad)), "{bad}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn server_refusals_with_an_api_code_get_the_envelope() {
        for (status, code) in [
            (400, "BAD_REQUEST"),
            (413, "PAYLOAD_TOO_LARGE"),
            (500, "INTERNAL_ERROR"),
        ] {
            let response = render_rejection(&Rejection::new(status, "why"));
            assert_eq!(response.status, status);
            let v: Value = serde_json::from_slice(&response.body).unwrap();
            assert_eq!(v["errors"][0]["code"], code);
            assert_eq!(v["errors"][0]["message"], "why");
        }
        let plain = render_rejection(&Rejection::new(431, "why"));
        assert_eq!((plain.status, plain.body.as_slice()), (431, &b"why\n"[..]));
    }

    #[test]
    fn params_must_be_an_object() {
        assert!(parse_params(b"{}").is_ok());
        for bad in [&b""[..], b"[]", b"{", b"null", b"\"x\""] {
            assert_eq!(parse_params(bad).unwrap_err().code, "BAD_REQUEST");
        }
    }
}
