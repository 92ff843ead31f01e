// Internal to the job manager (--role coordinator): the state its actor keeps and the attempt
// life cycle that job_attempts.cpp implements for job_manager.cpp. Include from those two only.
//
// The manager owns the worker registry (who joined, with how many slots, who is alive) and at
// most one attempt at a time: waiting for workers -> deploying -> running -> (failed:)
// cancelling on the survivors -> waiting again, or over. Everything runs in the manager actor's
// context; nothing here is thread-safe on its own.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/coordinator.hpp"

namespace sluice::actors::manager {

inline void say(const std::string& line) {
  std::fprintf(stderr, "sluice: %s\n", line.c_str());
  std::fflush(stderr);
}

struct worker_info {
  caf::actor node;
  std::string name;
  uint32_t slots = 0;
  bool alive = true;
};

enum class phase { waiting, deploying, running, cancelling, over };

struct manager_state {
  static inline const char* name = "sluice.job_manager";
  std::shared_ptr<const physical_plan> base;  // the plan; `restore` of the first attempt
  coordinator_options co;
  job_options opts;
  std::vector<worker_info> workers;
  phase ph = phase::waiting;
  uint64_t attempt = 0;
  uint32_t restarts = 0;
  bool started_once = false;
  bool said_waiting = false;
  caf::actor coordinator;                // of the current attempt
  std::vector<uint32_t> attempt_workers;  // workers used by the current attempt
  std::vector<caf::actor> deployed;      // by task id
  std::size_t replies_missing = 0;
  std::string last_failure;
  std::string dir_token;  // written into the checkpoint directory; workers must read it back
  caf::response_promise promise;
  job_outcome outcome;
  std::optional<std::chrono::steady_clock::time_point> first_started;  // of attempt 1
};

using manager_self = caf::stateful_actor<manager_state>;

inline std::vector<uint32_t> live_workers(const manager_state& st) {
  std::vector<uint32_t> live;
  for (uint32_t w = 0; w < st.workers.size(); ++w)
    if (st.workers[w].alive)
      live.push_back(w);
  return live;
}

/// Starts an attempt once enough workers (and slots) are there; does nothing unless waiting.
void maybe_start(manager_self* self);
/// Ends the job with `out`: tells live workers, cleans up after lost ones, answers run later.
void end_job(manager_self* self, job_outcome out);
/// The attempt failed: restart it from the latest checkpoint if the failure was a lost node
/// (after every surviving worker confirmed it cancelled the attempt), else end the job.
void on_attempt_failed(manager_self* self, job_outcome out);

}  // namespace sluice::actors::manager
