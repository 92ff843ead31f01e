// --role worker: a node actor joins the job manager, spawns the tasks of each attempt it is
// given, kills them when the attempt is cancelled, and fences itself (kills every task, so no
// zombie writes follow a failover) the moment the link to the coordinator is lost.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "actors/coordinator.hpp"
#include "actors/messages.hpp"
#include "checkpoints/lease.hpp"
#include "actors/network.hpp"
#include "actors/task_actor.hpp"
#include "checkpoints/storage.hpp"

namespace sluice::actors {

namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "sluice: worker: %s\n", line.c_str());
  std::fflush(stderr);
}

/// How a node actor ended, read by run_worker_role after it terminated.
struct node_end {
  enum { lost, finished, refused } how = lost;
  bool ok = false;
  bool joined = false;  ///< the coordinator accepted it before the end
  std::string reason;
};

struct node_state {
  static inline const char* name = "sluice.worker";
  const job_graph* graph = nullptr;
  plan_options po;
  job_options opts;
  std::string node_name;
  std::shared_ptr<node_end> end;
  caf::actor manager;
  uint64_t attempt = 0;
  std::shared_ptr<const physical_plan> plan;  // of `attempt`
  std::vector<caf::actor> tasks;               // live tasks of every attempt
  std::vector<std::string> state_dirs;         // of attempts whose tasks may still run
  std::vector<caf::response_promise> cancels;  // answered when no task is left
  bool fenced = false;
};

using node_self = caf::stateful_actor<node_state>;

void kill_tasks(node_self* self) {
  for (auto& t : self->state.tasks)
    self->send_exit(t, caf::exit_reason::kill);
}

/// No task is left: answer cancels, drop old working directories, end a fenced node.
void on_no_tasks(node_self* self) {
  auto& st = self->state;
  for (auto& p : st.cancels)
    p.deliver(true);
  st.cancels.clear();
  for (const auto& d : st.state_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
  st.state_dirs.clear();
  if (st.fenced)
    self->quit();
}

/// What this worker reads in the checkpoint directory's token file ("" without checkpoints).
std::string read_dir_token(const plan_options& po) {
  if (po.checkpoint_dir.empty())
    return {};
  std::ifstream f(po.checkpoint_dir + "/" + checkpoint_dir_token_file);
  std::string token;
  std::getline(f, token);
  return f ? token : std::string{"(" + po.checkpoint_dir + "/" + checkpoint_dir_token_file +
                                 " not readable)"};
}

std::shared_ptr<const physical_plan> plan_for(node_self* self, uint64_t attempt,
                                              uint64_t restore_id) {
  auto& st = self->state;
  auto po = st.po;
  if (!po.state_dir.empty()) {
    // Each attempt of each worker has its own RocksDB working directory: a hung worker that
    // is declared dead may still hold its files open.
    po.state_dir = attempt_state_dir(po.state_dir, st.node_name, attempt);
    st.state_dirs.push_back(po.state_dir);
  }
  auto plan = std::make_shared<physical_plan>(build_plan(*st.graph, po));
  if (restore_id > 0) {
    checkpoints::checkpoint_storage storage{po.checkpoint_dir};
    plan->restore = std::make_shared<checkpoints::manifest>(storage.load(restore_id));
  }
  return plan;
}

caf::behavior node_behavior(node_self* self, caf::actor manager, const job_graph* graph,
                            plan_options po, job_options opts, std::string name,
                            std::string fingerprint, std::shared_ptr<node_end> end) {
  auto& st = self->state;
  st.graph = graph;
  st.po = std::move(po);
  st.opts = std::move(opts);
  st.node_name = std::move(name);
  st.end = std::move(end);
  st.manager = manager;
  self->monitor(manager);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.manager.address()) {
      if (st.end->how == node_end::finished)
        return;
      st.end->how = node_end::lost;
      st.end->reason = self->system().render(dm.reason);
      say("lost the coordinator (" + st.end->reason + "): killing " +
          std::to_string(st.tasks.size()) + " tasks");
      st.fenced = true;
      kill_tasks(self);
      if (st.tasks.empty())
        on_no_tasks(self);
      return;
    }
    auto it = std::find_if(st.tasks.begin(), st.tasks.end(),
                           [&](const caf::actor& t) { return t.address() == dm.source; });
    if (it == st.tasks.end())
      return;
    st.tasks.erase(it);
    if (st.tasks.empty())
      on_no_tasks(self);
  });
  self->request(manager, std::chrono::milliseconds(st.opts.join_timeout_ms), join_atom::value,
                st.node_name, st.opts.slots, fingerprint, read_dir_token(st.po))
      .then([self, asked = checkpoints::lease_clock_ns()](uint32_t id) {
              checkpoints::extend_lease(asked,
                                        std::chrono::milliseconds(self->state.opts.node_timeout_ms));
              self->state.end->joined = true;
              say("joined as worker " + std::to_string(id));
              self->send(self, lease_atom::value);
            },
            [self](caf::error& e) {
              auto& st = self->state;
              st.end->how = node_end::refused;
              st.end->reason = describe(self->system(), e);
              self->quit();
            });
  return {
    [self](deploy_atom, uint64_t attempt, uint64_t restore_id, const std::vector<uint32_t>& ids,
           const caf::actor& coordinator) -> caf::result<std::vector<caf::actor>> {
      auto& st = self->state;
      if (st.fenced)
        return caf::make_error(caf::sec::runtime_error, "worker is fencing itself");
      try {
        if (attempt != st.attempt || !st.plan) {
          st.plan = plan_for(self, attempt, restore_id);
          st.attempt = attempt;
        }
        std::vector<caf::actor> spawned;
        for (auto id : ids) {
          if (id >= st.plan->tasks.size())
            return caf::make_error(caf::sec::runtime_error,
                                   "task " + std::to_string(id) + " is not in this job's plan");
          auto t = spawn_task(self->system(), st.plan, id, coordinator);
          self->monitor(t);
          st.tasks.push_back(t);
          spawned.push_back(t);
        }
        return spawned;
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
      }
    },
    [self](cancel_atom, uint64_t) -> caf::result<bool> {
      auto& st = self->state;
      st.plan = nullptr;
      if (st.tasks.empty()) {
        on_no_tasks(self);
        return true;
      }
      kill_tasks(self);
      st.cancels.push_back(self->make_response_promise());
      return st.cancels.back();
    },
    [self](lease_atom) {
      // Asks for the fencing lease once per heartbeat interval (checkpoints/lease.hpp).
      auto& st = self->state;
      if (st.fenced)
        return;
      auto validity = std::chrono::milliseconds(st.opts.node_timeout_ms);
      self->request(st.manager, validity, lease_atom::value, checkpoints::lease_clock_ns())
          .then([validity](int64_t asked) { checkpoints::extend_lease(asked, validity); },
                [](caf::error&) {});  // no answer: the lease runs out, the tasks stop
      self->delayed_send(self, std::chrono::milliseconds(st.opts.heartbeat_interval_ms),
                         lease_atom::value);
    },
    [self](finished_atom, bool ok) {
      auto& st = self->state;
      st.end->how = node_end::finished;
      st.end->ok = ok;
      st.fenced = true;
      kill_tasks(self);
      if (st.tasks.empty())
        on_no_tasks(self);
    },
  };
}

std::string node_name() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0)
    std::snprintf(host, sizeof host, "worker");
  return std::string{host} + ":" + std::to_string(::getpid());
}

}  // namespace

int run_worker_role(const job_graph& graph, const plan_options& po, const job_options& o) {
  caf::actor_system_config cfg;
  configure_network(cfg, o);
  if (o.threads > 0)
    cfg.set("scheduler.max-threads", static_cast<size_t>(o.threads));
  caf::actor_system sys{cfg};
  auto at = *parse_host_port(o.join);
  auto opts = o;
  if (opts.slots == 0)
    opts.slots = std::max(1u, std::thread::hardware_concurrency());
  auto name = node_name();
  std::string fingerprint;
  try {
    fingerprint = build_plan(graph, po).fingerprint();
  } catch (const std::exception& e) {
    say(std::string{"cannot build the job's plan: "} + e.what());
    return 1;
  }
  using clock = std::chrono::steady_clock;
  auto join_window = std::chrono::milliseconds(o.join_timeout_ms);
  auto deadline = clock::now() + join_window;  // to be accepted by a coordinator
  for (;;) {
    std::string error;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    auto manager = connect_with_retry(sys, at, tls_enabled(o),
                                      static_cast<uint32_t>(std::max<int64_t>(left.count(), 1)),
                                      error);
    if (!manager) {
      say("cannot reach the coordinator at " + o.join + " within --join-timeout-ms " +
          std::to_string(o.join_timeout_ms) + ": " + error);
      return 1;
    }
    auto end = std::make_shared<node_end>();
    auto node = sys.spawn(node_behavior, *manager, &graph, po, opts, name, fingerprint, end);
    {
      caf::scoped_actor self{sys};
      self->monitor(node);
      self->receive([](const caf::down_msg&) {});
    }
    checkpoints::disarm_lease();
    switch (end->how) {
      case node_end::finished:
        say(end->ok ? "the job finished" : "the job failed");
        return end->ok ? 0 : 1;
      case node_end::refused:
        say("the coordinator refused this worker: " + end->reason);
        return 1;
      case node_end::lost:
        // A new window after a loss; a link that broke before the coordinator accepted this
        // worker keeps the old one. The pause lets the network layer drop the dead link (until
        // then a reconnect may hand back the dead coordinator's handle at once).
        if (end->joined)
          deadline = clock::now() + join_window;
        if (clock::now() >= deadline) {
          say("cannot join the coordinator at " + o.join + " within --join-timeout-ms " +
              std::to_string(o.join_timeout_ms) + ": " + end->reason);
          return 1;
        }
        say("re-joining the coordinator at " + o.join);
        std::this_thread::sleep_for(std::chrono::milliseconds(o.heartbeat_interval_ms));
        break;
    }
  }
}

}  // namespace sluice::actors
