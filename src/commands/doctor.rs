//! `tailform doctor`: the read-only preflight before a real apply. Reads the manifests (when
//! there are any), the state (without taking its lock: nothing is written) and the credential,
//! hands them to `crate::doctor`, prints its report (text or JSON on stdout) and exits 1 when
//! it found a problem.

use std::path::Path;

use super::console::out;
use crate::cli::{DoctorArgs, GlobalArgs, ReportFormat};
use crate::credentials;
use crate::doctor::{self, Api, Inputs, Loaded, Source};
use crate::error::Error;
use crate::exit::Exit;

use super::session::{self, DEFAULT_ENDPOINT, Session};

/// Runs `tailform doctor`.
pub fn run(global: &GlobalArgs, args: &DoctorArgs) -> Result<Exit, Error> {
    let default_absent = args.manifests.files.is_empty() && !Path::new("tailform.yaml").exists();
    let manifests = if default_absent {
        None
    } else {
        Some(session::manifests(global, &args.manifests.files).map_err(|e| e.to_string()))
    };
    let (state_location, state) = match session::backend(global) {
        Ok(mut backend) => (
            backend.describe(),
            backend.load().map_err(|e| e.to_string()),
        ),
        Err(e) => ("the state".to_owned(), Err(e.to_string())),
    };
    let found = (!global.emulator).then(credentials::read_env).transpose();
    let ready = match found {
        Ok(found) => Ok((Session::open(global)?, found)),
        Err(e) => Err(e),
    };
    let endpoint = match &global.endpoint {
        _ if global.emulator => "the embedded emulator".to_owned(),
        Some(url) => url.clone(),
        None => DEFAULT_ENDPOINT.to_owned(),
    };
    let api = match &ready {
        Ok((session, found)) => Api::Ready {
            client: &session.client,
            org: &session.org,
            source: found.as_ref().map_or(Source::Emulator, Source::Env),
        },
        Err(e) => Api::Missing(e),
    };
    let inputs = Inputs {
        endpoint: &endpoint,
        api,
        manifests: loaded(manifests.as_ref()),
        state: loaded(Some(&state)),
        state_location: &state_location,
        max_tailnets: global.max_tailnets,
        warn_expiry: global.warn_expiry,
    };
    let report = match &ready {
        Ok((session, _)) => session.runtime.block_on(doctor::examine(&inputs)),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| Error::io("start", "the async runtime", e))?
            .block_on(doctor::examine(&inputs)),
    };
    out!(
        "{}",
        match args.format {
            ReportFormat::Text => doctor::render::text(&report, session::stdout_color(global)),
            ReportFormat::Json => doctor::render::json(&report),
        }
    );
    Ok(if report.passed() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

fn loaded<T>(read: Option<&Result<T, String>>) -> Loaded<'_, T> {
    match read {
        None => Loaded::Absent,
        Some(Ok(value)) => Loaded::Ready(value),
        Some(Err(why)) => Loaded::Failed(why),
    }
}
