// CAF's network layer for the cluster roles: connect to and publish on HOST:PORT, over TLS when
// the job has certificates. Internal to actors/ (includes CAF).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "actors/cluster.hpp"

namespace sluice::actors {

bool tls_enabled(const job_options& o);

/// An error for a one-line message: the text a peer put in it, else CAF's rendering.
std::string describe(caf::actor_system& sys, const caf::error& e);

/// The actor published at `at` (one attempt, no retry).
caf::expected<caf::actor> connect_to(caf::actor_system& sys, const host_port& at, bool tls);

/// Keeps trying to connect until `timeout_ms` passed; `error` holds the last failure.
std::optional<caf::actor> connect_with_retry(caf::actor_system& sys, const host_port& at, bool tls,
                                             uint32_t timeout_ms, std::string& error);

/// Publishes `a` on `at` (port 0: any free port); returns the bound port.
caf::expected<uint16_t> publish_on(caf::actor_system& sys, const caf::actor& a,
                                   const host_port& at, bool tls);

}  // namespace sluice::actors
