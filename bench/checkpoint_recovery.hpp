// Part (c) of bench_checkpoint: recovery time after kill -9 with ~100 MB of keyed state. The job
// (bench/checkpoint_job.hpp with a file sink) runs as a child process — this binary with the
// subcommand `job` — loads the state, and is SIGKILLed once a checkpoint holding all of it has
// completed; the same command is started again at once. Times from the kill, read from the new
// process's stderr (timestamped as lines arrive) and by polling the checkpoint and output
// directories every millisecond: "restoring" (the process is up and has chosen and verified the
// checkpoint), "restored" (the first record reached the keyed stage, so its state is in place),
// "checkpoint" (the new run's first checkpoint completed) and "part file" (the first part file
// committed after that: the first new output a reader sees). The run is then stopped (SIGTERM)
// and its committed output must hold every update exactly once with the counters a run without
// failure gives. Header-only, included by bench/checkpoint.cpp only.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/checkpoint_job.hpp"
#include "bench/processes.hpp"
#include "checkpoints/storage.hpp"

namespace sluice::bench {

/// `bench_checkpoint job [flags]`: the job of part (c) as a process, with every job flag.
inline int child_job_main(int argc, char** argv) {
  cli c{"bench_checkpoint job", "The stateful job of bench_checkpoint's recovery part."};
  state_job_params p;
  p.updates = unbounded;
  c.app().add_option("--keys", p.keys, "Keys loaded first")->capture_default_str();
  c.app().add_option("--hot-keys", p.hot_keys, "Updates go to keys [0, N)")->capture_default_str();
  c.app().add_option("--value-bytes", p.value_bytes, "Bytes per value")->capture_default_str();
  c.app().add_option("--rate", p.rate, "Update records/s (0: full speed)")->capture_default_str();
  if (auto rc = c.parse(argc, argv))
    return *rc;
  if (c.options().output.empty())
    return report_error(c.name(), "--output is required");
  environment env{c.options()};
  auto announce = std::make_shared<std::atomic<bool>>(true);
  build_state_job(env, p, keyed_update_fn{p, announce}).to_files(c.options().output).parallelism(1);
  auto r = env.execute();
  if (!r.ok)
    return report_error(c.name(), r.error);
  return 0;
}

struct recovery_options {
  std::vector<std::string> backends{"rocksdb", "memory"};
  double state_mb = 100;
  uint32_t value_bytes = 1000;
  double update_rate = 20000;
  uint32_t interval_ms = 200;
  uint32_t kill_delay_ms = 100;
  int repeats = 3;
};

struct recovery_times {
  double restoring = 0, restored = 0, checkpoint = 0, part = 0;
};

inline std::vector<std::string> committed_parts(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("part-", 0) == 0)
      names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// The source position of the newest completed checkpoint, and its id (0, 0 when none).
inline std::pair<uint64_t, uint64_t> newest_checkpoint(const std::string& dir) {
  checkpoints::checkpoint_storage storage{dir};
  auto ids = storage.list_completed();
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    try {
      auto m = storage.load(*it);
      const auto* src = m.find("updates");
      if (!src || src->subtasks.empty())
        continue;
      const auto& d = src->subtasks.front().description;
      return {*it, std::stoull(d.substr(d.find(':') + 1))};
    } catch (const std::exception&) {  // deleted by retention meanwhile
    }
  }
  return {0, 0};
}

/// Every committed row must be an update record [keys, keys + n), once, with the counter a run
/// without failure gives it. Returns n.
inline uint64_t check_recovery_output(const std::string& dir, const state_job_params& p) {
  std::unordered_map<uint64_t, uint64_t> counter_of_index;
  for (const auto& name : committed_parts(dir)) {
    std::ifstream f(dir + "/" + name);
    for (std::string l; std::getline(f, l);) {
      auto tab = l.find('\t');
      if (tab == std::string::npos)
        throw std::runtime_error("malformed output row '" + l + "' in " + name);
      auto index = std::stoull(l.substr(0, tab));
      if (!counter_of_index.emplace(index, std::stoull(l.substr(tab + 1))).second)
        throw std::runtime_error("update " + std::to_string(index) + " is in the output twice");
    }
  }
  uint64_t n = counter_of_index.size();
  std::unordered_map<uint64_t, uint64_t> updates_of_key;
  for (uint64_t i = p.keys; i < p.keys + n; ++i) {
    auto it = counter_of_index.find(i);
    if (it == counter_of_index.end())
      throw std::runtime_error("update " + std::to_string(i) + " is missing from the output");
    auto want = ++updates_of_key[key_of_record(i, p)];
    if (it->second != want)
      throw std::runtime_error("update " + std::to_string(i) + " has counter " +
                               std::to_string(it->second) + ", expected " + std::to_string(want));
  }
  return n;
}

inline recovery_times run_recovery(const recovery_options& b, const std::string& backend,
                                   const std::string& self, const temp_dir& tmp) {
  auto out = tmp / "recovery-out", ck = tmp / "recovery-ck";
  std::error_code ec;
  std::filesystem::remove_all(out, ec);
  std::filesystem::remove_all(ck, ec);
  state_job_params p;
  p.value_bytes = b.value_bytes;
  p.keys = static_cast<uint64_t>(b.state_mb * 1e6 / b.value_bytes);
  p.hot_keys = std::max<uint64_t>(1, p.keys / 100);
  std::vector<std::string> argv{self, "job", "--checkpoint-dir", ck, "--output", out,
                                "--state-backend", backend, "--checkpoint-interval-ms",
                                std::to_string(b.interval_ms), "--parallelism", "1",
                                "--keys", std::to_string(p.keys), "--hot-keys",
                                std::to_string(p.hot_keys), "--value-bytes",
                                std::to_string(p.value_bytes), "--rate",
                                std::to_string(b.update_rate)};
  uint64_t loaded_id = 0;
  {
    child first(argv, tmp / "job-1.err");
    for (auto deadline = clock_type::now() + std::chrono::minutes(5);;) {
      auto [id, next] = newest_checkpoint(ck);
      if (id && next >= p.keys) {
        loaded_id = id;
        break;
      }
      if (first.poll() || clock_type::now() > deadline)
        throw std::runtime_error("no checkpoint holding the loaded state (see " + tmp / "job-1.err" + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(b.kill_delay_ms));
  }  // SIGKILL and reap
  auto killed = clock_type::now();
  auto before = committed_parts(out);
  line_log log;
  child second(argv, "", log.write_fd());
  log.start();
  recovery_times t;
  uint64_t restored_id = 0;
  bool have_checkpoint = false;
  for (auto deadline = killed + std::chrono::seconds(60);;) {
    auto now = clock_type::now();
    if (!restored_id)
      if (auto l = log.find("restoring from checkpoint ")) {
        restored_id = std::stoull(l->text.substr(l->text.find("checkpoint ") + 11));
        t.restoring = seconds_between(killed, l->at);
      }
    if (t.restored == 0)
      if (auto l = log.find("bench-job: first record"))
        t.restored = seconds_between(killed, l->at);
    if (restored_id && !have_checkpoint && newest_checkpoint(ck).first > restored_id) {
      have_checkpoint = true;
      t.checkpoint = seconds_between(killed, now);
    }
    auto parts = committed_parts(out);
    bool fresh = std::any_of(parts.begin(), parts.end(), [&](const auto& n) {
      return !std::binary_search(before.begin(), before.end(), n);
    });
    if (fresh && have_checkpoint) {
      t.part = seconds_between(killed, now);
      break;
    }
    before = std::move(parts);
    if (second.poll() || now > deadline)
      throw std::runtime_error("the restarted job committed no new output:\n" + log.all());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  second.signal(SIGTERM);
  second.wait(std::chrono::seconds(120), "the restarted job");
  if (!second.succeeded())
    throw std::runtime_error("the restarted job failed (" + second.describe_exit() + "):\n" + log.all());
  auto rows = check_recovery_output(out, p);
  std::printf(
      "  %-8s killed after checkpoint %llu, restored %llu: restoring %+.0f ms, restored %+.0f "
      "ms, checkpoint %+.0f ms, part file %+.0f ms; %llu updates exactly once\n",
      backend.c_str(), static_cast<unsigned long long>(loaded_id),
      static_cast<unsigned long long>(restored_id), t.restoring * 1e3, t.restored * 1e3,
      t.checkpoint * 1e3, t.part * 1e3, static_cast<unsigned long long>(rows));
  std::fflush(stdout);
  std::filesystem::remove_all(out, ec);
  std::filesystem::remove_all(ck, ec);
  return t;
}

/// Runs part (c); returns false when the RocksDB recovery misses 1 s (median).
inline bool bench_recovery(const recovery_options& b, const std::string& self, const temp_dir& tmp) {
  std::printf(
      "\n(c) recovery after SIGKILL: %.0f MB of keyed state (values of %u B), updates at %.0f/s, "
      "checkpoints every %u ms, killed %u ms after a checkpoint holding the whole state, "
      "restarted at once; load %s\n",
      b.state_mb, b.value_bytes, b.update_rate, b.interval_ms, b.kill_delay_ms,
      load_average().c_str());
  std::fflush(stdout);
  bool met = true;
  std::vector<std::pair<std::string, std::vector<recovery_times>>> all;
  for (const auto& backend : b.backends)
    all.push_back({backend, {}});
  for (int r = 0; r < b.repeats; ++r)
    for (auto& [backend, times] : all)
      times.push_back(run_recovery(b, backend, self, tmp));
  std::printf("  %-8s %-16s %-16s %-16s %-16s\n", "backend", "restoring ms", "restored ms",
              "checkpoint ms", "part file ms");
  std::printf("  %-8s %-16s %-16s %-16s %-16s\n", "", "median / max", "median / max",
              "median / max", "median / max");
  for (const auto& [backend, times] : all) {
    std::printf("  %-8s", backend.c_str());
    for (auto field : {&recovery_times::restoring, &recovery_times::restored,
                       &recovery_times::checkpoint, &recovery_times::part}) {
      std::vector<double> xs;
      for (const auto& t : times)
        xs.push_back(t.*field * 1e3);
      char cell[40];
      std::snprintf(cell, sizeof cell, "%.0f / %.0f", median(xs), *std::max_element(xs.begin(), xs.end()));
      std::printf(" %-16s", cell);
    }
    std::printf("\n");
    std::vector<double> parts;
    for (const auto& t : times)
      parts.push_back(t.part);
    bool ok = median(parts) < 1.0;
    std::printf("  target: kill -> first new committed output < 1 s (%s): median %.0f ms, %s\n",
                backend.c_str(), median(parts) * 1e3, ok ? "met" : "MISSED");
    if (backend == "rocksdb")
      met = met && ok;
  }
  return met;
}

}  // namespace sluice::bench
