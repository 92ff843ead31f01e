#include "actors/network.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <filesystem>
#include <thread>

#include "actors/messages.hpp"

namespace sluice::actors {

std::optional<host_port> parse_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size() || s.size() - colon > 6 ||
      s.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return std::nullopt;
  auto port = std::stoul(s.substr(colon + 1));
  if (port > 65535)
    return std::nullopt;
  auto host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host_port{host, static_cast<uint16_t>(port)};
}

std::string describe(caf::actor_system& sys, const caf::error& e) {
  const auto& ctx = e.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return sys.render(e);
}

bool tls_enabled(const job_options& o) {
  return !o.tls_cert.empty() || !o.tls_key.empty() || !o.tls_ca.empty();
}

std::string check_cluster_options(const job_options& o) {
  if (o.role != "local" && o.role != "coordinator" && o.role != "worker")
    return "--role must be local, coordinator or worker, not '" + o.role + "'";
  if (o.role == "local")
    return {};
  if (o.role == "coordinator" && !parse_host_port(o.listen))
    return "--listen expects HOST:PORT, got '" + o.listen + "'";
  if (o.role == "worker") {
    if (o.join.empty())
      return "--role worker needs --join HOST:PORT (the coordinator's --listen address)";
    if (!parse_host_port(o.join) || parse_host_port(o.join)->port == 0)
      return "--join expects HOST:PORT, got '" + o.join + "'";
  }
  if (o.node_timeout_ms <= o.heartbeat_interval_ms)
    return "--node-timeout-ms (" + std::to_string(o.node_timeout_ms) +
           ") must exceed --heartbeat-interval-ms (" + std::to_string(o.heartbeat_interval_ms) + ")";
  if (tls_enabled(o)) {
    const std::pair<const char*, const std::string*> files[] = {
        {"--tls-cert", &o.tls_cert}, {"--tls-key", &o.tls_key}, {"--tls-ca", &o.tls_ca}};
    for (const auto& [flag, path] : files) {
      if (path->empty())
        return std::string{"TLS needs --tls-cert, --tls-key and --tls-ca; "} + flag + " is missing";
      std::error_code ec;
      if (!std::filesystem::is_regular_file(*path, ec))
        return std::string{flag} + " '" + *path + "' is not a readable file";
    }
  }
  return {};
}

namespace {

std::string node_tag(const std::string& node) {
  auto tag = node;
  for (auto& c : tag)
    if (c == ':' || c == '/')
      c = '-';
  return tag + "-a";
}

}  // namespace

std::string attempt_state_dir(const std::string& state_dir, const std::string& node,
                              uint64_t attempt) {
  return state_dir + "/" + node_tag(node) + std::to_string(attempt);
}

void remove_attempt_state_dirs(const std::string& state_dir, const std::string& node) {
  auto prefix = node_tag(node);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state_dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
      std::filesystem::remove_all(e.path(), ec);
  }
}

void configure_network(caf::actor_system_config& cfg, const job_options& o) {
  register_wire_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval",
          caf::timespan{std::chrono::milliseconds(o.heartbeat_interval_ms)});
  cfg.set("middleman.connection-timeout",
          caf::timespan{std::chrono::milliseconds(o.node_timeout_ms)});
  cfg.set("logger.console", caf::atom("none"));
  if (tls_enabled(o)) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = o.tls_cert;
    cfg.openssl_key = o.tls_key;
    cfg.openssl_cafile = o.tls_ca;
  }
}

caf::expected<caf::actor> connect_to(caf::actor_system& sys, const host_port& at, bool tls) {
  if (tls)
    return caf::openssl::remote_actor(sys, at.host, at.port);
  return sys.middleman().remote_actor(at.host, at.port);
}

std::optional<caf::actor> connect_with_retry(caf::actor_system& sys, const host_port& at, bool tls,
                                             uint32_t timeout_ms, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto pause = std::chrono::milliseconds(50);
  for (;;) {
    auto a = connect_to(sys, at, tls);
    if (a)
      return *a;
    error = sys.render(a.error());
    if (std::chrono::steady_clock::now() + pause > deadline)
      return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

caf::expected<uint16_t> publish_on(caf::actor_system& sys, const caf::actor& a,
                                   const host_port& at, bool tls) {
  const char* in = at.host.empty() ? nullptr : at.host.c_str();
  if (tls)
    return caf::openssl::publish(a, at.port, in, true);
  return sys.middleman().publish(a, at.port, in, true);
}

std::optional<std::vector<std::string>> fetch_job_args(const job_options& o, std::string& error) {
  caf::actor_system_config cfg;
  configure_network(cfg, o);
  cfg.set("scheduler.max-threads", size_t{1});
  caf::actor_system sys{cfg};
  auto at = *parse_host_port(o.join);
  auto manager = connect_with_retry(sys, at, tls_enabled(o), o.join_timeout_ms, error);
  if (!manager) {
    error = "cannot reach the coordinator at " + o.join + " within --join-timeout-ms " +
            std::to_string(o.join_timeout_ms) + ": " + error +
            (error.find("handshake") != std::string::npos
                 ? " (a coordinator with TLS refuses workers whose certificate its --tls-ca did "
                   "not sign, and workers without TLS)"
                 : "");
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> args;
  caf::scoped_actor self{sys};
  self->request(*manager, std::chrono::milliseconds(o.join_timeout_ms), jobargs_atom::value)
      .receive([&](std::vector<std::string>& a) { args = std::move(a); },
               [&](caf::error& e) {
                 error = "the coordinator at " + o.join +
                         " did not send the job's command line: " + sys.render(e);
               });
  return args;
}

}  // namespace sluice::actors
