//! The check of an OIDC token (a JWT) before it is exchanged, as the official Go client does it:
//! three dot-separated parts and an `exp` claim in the future. The signature is not checked here
//! (the API does that); the check only turns an expired or truncated token into a clear error
//! instead of an opaque 403. Pure: no I/O, no other `api` module.

use base64::Engine as _;
use jiff::Timestamp;
use serde::Deserialize;

/// Why an identity token cannot be used (checked before it is sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtProblem {
    /// Not `header.payload.signature`.
    #[error("it is not a JWT (three dot-separated parts)")]
    NotThreeParts,
    /// The payload is not base64url JSON.
    #[error("its payload is not readable JSON")]
    Unreadable,
    /// No `exp` claim.
    #[error("it has no `exp` claim")]
    NoExpiry,
    /// `exp` is not in the future.
    #[error("it expired at {expired} (an OIDC token lives minutes: fetch a fresh one)")]
    Expired {
        /// The `exp` claim.
        expired: Timestamp,
    },
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    exp: Option<f64>,
}

/// Checks that `jwt` has three parts and an `exp` after `now`.
pub(super) fn check_jwt(jwt: &str, now: Timestamp) -> Result<(), JwtProblem> {
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Err(JwtProblem::NotThreeParts);
    };
    if parts.iter().any(|p| p.is_empty()) {
        return Err(JwtProblem::NotThreeParts);
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| JwtProblem::Unreadable)?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| JwtProblem::Unreadable)?;
    let exp = claims.exp.ok_or(JwtProblem::NoExpiry)?;
    // `exp` is NumericDate: seconds, possibly fractional; out of range means far past or future.
    let expired = Timestamp::from_second(exp as i64).unwrap_or(if exp < 0.0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    if expired <= now {
        return Err(JwtProblem::Expired { expired });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", enc(r#"{"alg":"ES256"}"#), enc(claims))
    }

    #[test]
    fn a_jwt_needs_three_parts_and_a_future_expiry() {
        let now: Timestamp = "2026-12-04T00:00:00Z".parse().unwrap();
        let later = now.as_second() + 300;
        assert_eq!(
            check_jwt(&jwt(&format!(r#"{{"exp":{later}}}"#)), now),
            Ok(())
        );
        assert_eq!(
            check_jwt(&jwt(&format!(r#"{{"exp":{later}.5,"sub":"x"}}"#)), now),
            Ok(())
        );
        assert_eq!(check_jwt("abc.def", now), Err(JwtProblem::NotThreeParts));
        assert_eq!(check_jwt("a..c", now), Err(JwtProblem::NotThreeParts));
        assert_eq!(check_jwt("a.!!!.c", now), Err(JwtProblem::Unreadable));
        assert_eq!(
            check_jwt(&jwt(r#"{"sub":"x"}"#), now),
            Err(JwtProblem::NoExpiry)
        );
        let past = now.as_second() - 1;
        assert_eq!(
            check_jwt(&jwt(&format!(r#"{{"exp":{past}}}"#)), now),
            Err(JwtProblem::Expired {
                expired: Timestamp::from_second(past).unwrap()
            })
        );
        assert!(matches!(check_jwt(&jwt(r#"{"exp":1e300}"#), now), Ok(())));
    }
}
