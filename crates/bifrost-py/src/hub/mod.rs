//! `bifrost.hub`'s native half: [`Hub`] (`bifrost._bifrost._Hub`), one handle on a local
//! repository (the facade, `bifrost::Repository`) or a server (`bifrost_client::Client`) that
//! runs any operation of the table by name, publishes and checks out.
//!
//! Python never sees a per-operation Rust function: `_Hub.call("create_asset", {...})` builds
//! the operation with the table's own decoder (`bifrost_api::Request::from_json`), dispatches
//! it and answers the response's JSON as Python values; `bifrost/_ops.py` and
//! `bifrost/models.py` (generated from [`table`] and [`openapi`] by `bifrost/_generate.py`)
//! give every operation a typed method and result class.

mod errors;
mod json;
mod runtime;

use std::path::PathBuf;
use std::sync::Arc;

use bifrost::{CheckoutOptions, Progress, Repository, Transfer};
use bifrost_api::Request;
use bifrost_client::Client;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use errors::{Failure, local_failure, remote_failure};
use runtime::{Watch, block};

/// Adds the hub's classes and functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Hub>()?;
    m.add_function(wrap_pyfunction!(open_local, m)?)?;
    m.add_function(wrap_pyfunction!(init_local, m)?)?;
    m.add_function(wrap_pyfunction!(connect, m)?)?;
    m.add_function(wrap_pyfunction!(table, m)?)?;
    m.add_function(wrap_pyfunction!(openapi, m)?)?;
    Ok(())
}

/// Where operations run.
#[derive(Clone)]
enum Backend {
    /// A repository on this machine, with full access (as the local CLI).
    Local(Box<Repository>),
    /// A server, as the token's user.
    Remote(Client),
}

/// A hub: a local repository or a server, acting in one project.
#[pyclass(frozen, name = "_Hub", module = "bifrost._bifrost")]
pub(crate) struct Hub {
    backend: Backend,
}

fn hub_result<T>(py: Python<'_>, r: Result<T, Failure>) -> PyResult<T> {
    r.map_err(|f| errors::to_py(py, f))
}

impl Hub {
    /// The same hub acting in `project` (checked to exist locally; a server checks on use).
    async fn in_project(&self, project: Option<&str>) -> Result<Backend, Failure> {
        match (&self.backend, project) {
            (backend, None) => Ok(backend.clone()),
            (Backend::Local(repo), Some(p)) if p == repo.project() => {
                Ok(Backend::Local(repo.clone()))
            }
            (Backend::Local(repo), Some(p)) => repo
                .as_ref()
                .clone()
                .with_project(p)
                .await
                .map(|repo| Backend::Local(Box::new(repo)))
                .map_err(local_failure),
            (Backend::Remote(client), Some(p)) => {
                Ok(Backend::Remote(client.clone().with_project(p)))
            }
        }
    }
}

#[pymethods]
impl Hub {
    /// The project operations act on when they name none.
    #[getter]
    fn project(&self) -> String {
        match &self.backend {
            Backend::Local(repo) => repo.project().to_owned(),
            Backend::Remote(client) => bifrost_api::Hub::project(client).to_owned(),
        }
    }

    /// Whether this is a server (else a local repository).
    #[getter]
    fn remote(&self) -> bool {
        matches!(self.backend, Backend::Remote(_))
    }

    /// The repository's root directory, or the server's address.
    #[getter]
    fn location(&self) -> String {
        match &self.backend {
            Backend::Local(repo) => repo.root().display().to_string(),
            Backend::Remote(client) => client.server(),
        }
    }

    /// The catalog backend of a local repository (`sqlite`, `postgres`); `None` for a server.
    #[getter]
    fn catalog_backend(&self) -> Option<&'static str> {
        match &self.backend {
            Backend::Local(repo) => Some(repo.catalog_backend()),
            Backend::Remote(_) => None,
        }
    }

    /// Request body bytes sent to the server so far (0 for a local repository).
    #[getter]
    fn bytes_sent(&self) -> u64 {
        match &self.backend {
            Backend::Local(_) => 0,
            Backend::Remote(client) => client.bytes_sent(),
        }
    }

    /// The same hub acting in another project.
    fn with_project(&self, py: Python<'_>, project: &str) -> PyResult<Hub> {
        let backend = block(py, self.in_project(Some(project)), None)?;
        Ok(Hub {
            backend: hub_result(py, backend)?,
        })
    }

    /// Runs the operation `op` (`create_asset` or `CreateAsset`) with `fields` (JSON values,
    /// every field the operation needs, `project` included) and answers its response as
    /// JSON values.
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        fields: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = json::from_py(fields.as_any(), "")?;
        let request = Request::from_json(op, value).map_err(|e| errors::bad_fields(py, e))?;
        let backend = &self.backend;
        let answer = block(
            py,
            async move {
                let response = match backend {
                    Backend::Local(repo) => repo.dispatch(request).await.map_err(local_failure)?,
                    Backend::Remote(client) => {
                        client.dispatch(request).await.map_err(remote_failure)?
                    }
                };
                response.to_json().map_err(|e| Failure {
                    code: "internal".into(),
                    kind: bifrost_api::ErrorKind::Internal,
                    retryable: false,
                    message: format!("the answer cannot be written as JSON: {e}"),
                })
            },
            None,
        )?;
        json::to_py(py, &hub_result(py, answer)?)
    }

    /// Publishes files and directories as the next version of `asset`; `progress(done,
    /// total)` is called on this thread, with the GIL, as bytes are read (and sent).
    #[pyo3(signature = (asset, paths, note = "", project = None, progress = None))]
    fn publish<'py>(
        &self,
        py: Python<'py>,
        asset: &str,
        paths: Vec<PathBuf>,
        note: &str,
        project: Option<&str>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let watch = progress.map(Watch::new);
        let meter: Arc<dyn Progress> = match &watch {
            Some(w) => w.meter.clone(),
            None => Arc::new(bifrost::NoProgress),
        };
        let work = async {
            let answer = match self.in_project(project).await? {
                Backend::Local(repo) => {
                    let outcome = Transfer::publish(repo.as_ref(), asset, &paths, note, meter)
                        .await
                        .map_err(local_failure)?;
                    (outcome, 0)
                }
                Backend::Remote(client) => {
                    let before = client.bytes_sent();
                    let outcome = Transfer::publish(&client, asset, &paths, note, meter)
                        .await
                        .map_err(remote_failure)?;
                    (outcome, client.bytes_sent().saturating_sub(before))
                }
            };
            Ok::<_, Failure>(answer)
        };
        let (outcome, sent) = hub_result(py, block(py, work, watch.as_ref())?)?;
        let mut value =
            serde_json::to_value(&outcome).map_err(|e| PyValueError::new_err(e.to_string()))?;
        value["bytes_sent"] = sent.into();
        json::to_py(py, &value)
    }

    /// Materialises `reference` (`NAME`, `NAME@v3`, `NAME@latest`) into `dest`.
    #[pyo3(signature = (reference, dest, force = false, project = None, progress = None))]
    fn checkout<'py>(
        &self,
        py: Python<'py>,
        reference: &str,
        dest: PathBuf,
        force: bool,
        project: Option<&str>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let reference: bifrost::core::VersionRef = reference
            .parse()
            .map_err(|e: bifrost::core::VersionRefError| PyValueError::new_err(e.to_string()))?;
        let watch = progress.map(Watch::new);
        let meter: Arc<dyn Progress> = match &watch {
            Some(w) => w.meter.clone(),
            None => Arc::new(bifrost::NoProgress),
        };
        let options = CheckoutOptions { force };
        let work = async {
            let outcome = match self.in_project(project).await? {
                Backend::Local(repo) => {
                    Transfer::checkout(repo.as_ref(), &reference, &dest, options, meter)
                        .await
                        .map_err(local_failure)?
                }
                Backend::Remote(client) => {
                    Transfer::checkout(&client, &reference, &dest, options, meter)
                        .await
                        .map_err(remote_failure)?
                }
            };
            Ok::<_, Failure>(outcome)
        };
        let outcome = hub_result(py, block(py, work, watch.as_ref())?)?;
        let value =
            serde_json::to_value(&outcome).map_err(|e| PyValueError::new_err(e.to_string()))?;
        json::to_py(py, &value)
    }

    /// Closes a local repository's catalog connections (a server needs nothing).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if let Backend::Local(repo) = &self.backend {
            block(py, repo.close(), None)?;
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "<bifrost.hub.Hub {} {} project={:?}>",
            if self.remote() {
                "server"
            } else {
                "repository"
            },
            self.location(),
            self.project()
        )
    }
}

/// Opens the repository containing `path` (SQLite or PostgreSQL, as its config says).
#[pyfunction]
#[pyo3(signature = (path, project = None))]
fn open_local(py: Python<'_>, path: PathBuf, project: Option<String>) -> PyResult<Hub> {
    let opened = block(
        py,
        async move {
            let repo = Repository::discover(&path).await?;
            match project {
                Some(p) => repo.with_project(&p).await,
                None => Ok(repo),
            }
        },
        None,
    )?;
    Ok(Hub {
        backend: Backend::Local(Box::new(hub_result(py, opened.map_err(local_failure))?)),
    })
}

/// Creates a repository in `path` and opens it (`catalog`: a PostgreSQL URL, default SQLite
/// inside `.bifrost`; `store`: a directory or `s3://` URL).
#[pyfunction]
#[pyo3(signature = (path, catalog = None, store = None))]
fn init_local(
    py: Python<'_>,
    path: PathBuf,
    catalog: Option<String>,
    store: Option<String>,
) -> PyResult<Hub> {
    let options = bifrost::InitOptions { catalog, store };
    let made = block(
        py,
        async move { Repository::init(&path, options).await },
        None,
    )?;
    Ok(Hub {
        backend: Backend::Local(Box::new(hub_result(py, made.map_err(local_failure))?)),
    })
}

/// A server at `url` with `token` (default: the saved login for `url`, or the default
/// server's), acting in `project` (default: the login's, else `main`).
#[pyfunction]
#[pyo3(signature = (url = None, token = None, project = None))]
fn connect(
    py: Python<'_>,
    url: Option<&str>,
    token: Option<&str>,
    project: Option<&str>,
) -> PyResult<Hub> {
    let made = (|| -> Result<Client, bifrost_client::ClientError> {
        let (url, token, saved_project) = match (url, token) {
            (Some(url), Some(token)) => (url.to_owned(), token.to_owned(), None),
            _ => {
                let saved =
                    bifrost_client::Credentials::load(&bifrost_client::credentials_path()?)?;
                let (url, login) = saved.resolve(url)?;
                let token = token.map_or(login.token, str::to_owned);
                (url, token, login.project)
            }
        };
        let project = project
            .map(str::to_owned)
            .or(saved_project)
            .unwrap_or_else(|| bifrost::DEFAULT_PROJECT.to_owned());
        Client::new(&url, &token, &project)
    })();
    Ok(Hub {
        backend: Backend::Remote(hub_result(py, made.map_err(remote_failure))?),
    })
}

/// The operation table as JSON: one object per operation (name, snake name, summary, tag,
/// method, path, carrier, success status, permission, journal actions), in table order.
#[pyfunction]
fn table() -> String {
    let ops: Vec<serde_json::Value> = bifrost_api::ALL
        .iter()
        .map(|spec| {
            serde_json::json!({
                "name": spec.name,
                "snake_name": spec.snake_name(),
                "summary": spec.summary,
                "tag": spec.tag,
                "method": spec.method.as_str(),
                "path": spec.path,
                "path_params": spec.path_params().collect::<Vec<_>>(),
                "carrier": match spec.carrier {
                    bifrost_api::Carrier::Query => "query",
                    bifrost_api::Carrier::Body => "body",
                },
                "success": spec.success,
                "permission": spec.permission.map(|p| p.to_string()),
                "in_project": spec.in_project(),
                "actions": spec.actions,
            })
        })
        .collect();
    serde_json::Value::Array(ops).to_string()
}

/// The table's OpenAPI document (paths relative to `/api/v1`), as JSON text.
#[pyfunction]
fn openapi() -> PyResult<String> {
    serde_json::to_string(&bifrost_api::openapi::document())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}
