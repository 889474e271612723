//! The facade executes the operation table (`bifrost-api`): one [`Execute`] impl per
//! operation, in the group modules, holds what the operation does with a [`Repository`];
//! [`Repository::call`] and [`Repository::dispatch`] run any of them for the handle's actor.
//! The server, the local CLI and the Python package all come through here.

mod access;
mod assets;
mod production;

use std::future::Future;

use bifrost_api::{Operation, Request, Response};

use crate::Repository;
use crate::access::Access;
use crate::error::{Error, Result};

/// What an operation of the table does with a repository. Implemented once per operation.
pub trait Execute: Operation {
    /// Runs the operation on `repo` (already acting on the operation's project, with the
    /// table's permission checked).
    fn execute(self, repo: &Repository) -> impl Future<Output = Result<Self::Response>> + Send;
}

impl Repository {
    /// Runs one operation for this handle's actor: checks the permission the table names,
    /// moves to the operation's project, executes it.
    pub async fn call<O: Execute>(&self, op: O) -> Result<O::Response> {
        if let Some(permission) = O::SPEC.permission {
            self.require(permission)?;
        }
        match op.project() {
            Some(project) if project != self.project() => {
                let scoped = self.on_project(project).await?;
                op.execute(&scoped).await
            }
            _ => op.execute(self).await,
        }
    }

    /// Runs any operation of the table (see [`Repository::call`]).
    pub async fn dispatch(&self, request: Request) -> Result<Response> {
        macro_rules! arms {
            ($($name:ident),*) => {
                match request {
                    $(Request::$name(op) => {
                        Response::$name(Box::pin(self.call(op)).await?)
                    })*
                }
            };
        }
        Ok(bifrost_api::for_each_operation!(arms))
    }

    /// The same handle on another project. Only handles with full (local) access may move:
    /// a signed-in user's handle is made for one project by [`Repository::for_user`].
    async fn on_project(&self, project: &str) -> Result<Repository> {
        match self.access() {
            Access::Full => self.clone().with_project(project).await,
            Access::User { .. } => Err(Error::Forbidden {
                user: self.actor().user.clone(),
                reason: format!(
                    "this session acts on project `{}`, not `{project}`",
                    self.project()
                ),
            }),
        }
    }
}

impl bifrost_api::Hub for Repository {
    type Error = Error;

    fn project(&self) -> &str {
        Repository::project(self)
    }

    async fn call<O: Operation>(&self, op: O) -> Result<O::Response> {
        let response = self.dispatch(op.into_request()).await?;
        O::from_response(response).ok_or_else(|| Error::Internal {
            what: format!(
                "{} answered with another operation's response",
                O::SPEC.name
            ),
        })
    }
}
