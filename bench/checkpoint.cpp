// bench_checkpoint: what checkpoints cost, in one run (issue 3's three measurements).
//
// (a) Overhead: throughput of a stateful job (load keys, then update them; keyed value_state)
//     with checkpoints every 1000 ms and every 100 ms beside the same job without checkpoints,
//     alternating, medians and ratios to the no-checkpoint runs (the baseline of this bench).
// (b) Scaling: checkpoint duration and bytes written against the total state (1 MB, 100 MB,
//     1 GB) while a small hot set of keys changes: on RocksDB a checkpoint hard-links the SST
//     files it shares with the previous one, so its cost should follow the changed state; the
//     memory backend writes a full snapshot each time.
// (c) Recovery: the job as a child process with ~100 MB of state, SIGKILLed after a checkpoint
//     and restarted; time from the kill to the first newly committed output.
//
// Every run's output is checked (row count and counters against a reference loop; after a
// recovery, every update exactly once): a wrong answer fails the bench with exit code 1. A missed
// target is reported as MISSED (exit code 0: speed is never a test). See bench/README.md.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench/checkpoint_overhead.hpp"
#include "bench/checkpoint_recovery.hpp"
#include "bench/checkpoint_scaling.hpp"
#include "bench/harness.hpp"
#include "bench/processes.hpp"

namespace {

using namespace sluice::bench;

std::string self_path() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "job") == 0)  // the child process of part (c)
    return child_job_main(argc - 1, argv + 1);

  overhead_options a;
  scaling_options s;
  recovery_options c;
  bool quick = false, skip_a = false, skip_b = false, skip_c = false;
  int runs = 0, repeats = 0;
  CLI::App app{
      "Checkpoint overhead (throughput with checkpoints vs none), checkpoint duration and bytes "
      "vs state size, and recovery time after kill -9 with 100 MB of state."};
  app.add_option("--runs", runs, "(a) alternating rounds (default 3)");
  app.add_option("--overhead-backends", a.backends, "(a) state backends")
      ->delimiter(',')->capture_default_str();
  app.add_option("--overhead-keys", a.keys, "(a) keys")->capture_default_str();
  app.add_option("--overhead-value-bytes", a.value_bytes, "(a) bytes per value")
      ->capture_default_str();
  app.add_option("--overhead-records-memory", a.records_memory, "(a) updates per run, memory")
      ->capture_default_str();
  app.add_option("--overhead-records-rocksdb", a.records_rocksdb, "(a) updates per run, RocksDB")
      ->capture_default_str();
  app.add_option("-p,--parallelism", a.parallelism, "(a) parallelism of the keyed stage")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--sizes-mb", s.sizes_mb, "(b) total state sizes, MB")
      ->delimiter(',')->capture_default_str();
  app.add_option("--size-backends", s.backends, "(b) state backends")
      ->delimiter(',')->capture_default_str();
  app.add_option("--value-bytes", s.value_bytes, "(b) and (c) bytes per value")
      ->check(CLI::Range(8u, 1u << 20))->capture_default_str();
  app.add_option("--changed-fraction", s.changed_fraction, "(b) fraction of keys updated")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--update-rate", s.update_rate, "(b) update records/s after the load")
      ->capture_default_str();
  app.add_option("--update-seconds", s.update_seconds, "(b) seconds of updates after the load")
      ->capture_default_str();
  app.add_option("--memory-max-mb", s.memory_max_mb, "(b) largest size run on the memory backend")
      ->capture_default_str();
  app.add_option("--interval-ms", s.interval_ms, "(b) checkpoint interval")->capture_default_str();
  app.add_option("--recovery-backends", c.backends, "(c) state backends")
      ->delimiter(',')->capture_default_str();
  app.add_option("--recovery-state-mb", c.state_mb, "(c) state size, MB")->capture_default_str();
  app.add_option("--recovery-interval-ms", c.interval_ms, "(c) checkpoint interval")
      ->capture_default_str();
  app.add_option("--repeats", repeats, "(c) recoveries per backend (default 3)");
  app.add_flag("--quick", quick,
               "Small and short: (a) 1 round of fewer records, (b) 1 and 20 MB, (c) 20 MB once");
  app.add_flag("--skip-overhead", skip_a, "Skip (a)");
  app.add_flag("--skip-scaling", skip_b, "Skip (b)");
  app.add_flag("--skip-recovery", skip_c, "Skip (c)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    a.runs = c.repeats = 1;
    a.records_memory /= 5;
    a.records_rocksdb /= 5;
    s.sizes_mb = {1, 20};
    s.update_seconds = 3.5;
    c.state_mb = 20;
  }
  if (runs > 0)
    a.runs = runs;
  if (repeats > 0)
    c.repeats = repeats;
  c.value_bytes = s.value_bytes;
  for (const auto* list : {&a.backends, &s.backends, &c.backends})
    for (const auto& backend : *list)
      if (backend != "memory" && backend != "rocksdb") {
        std::fprintf(stderr, "bench_checkpoint: error: unknown backend '%s'\n", backend.c_str());
        return 2;
      }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    temp_dir tmp{"sluice-bench-checkpoint"};
    std::printf("bench_checkpoint: %u cores, load %s, scratch %s\n",
                std::thread::hardware_concurrency(), load_average().c_str(),
                tmp.path.c_str());
    std::fflush(stdout);
    bool ok = true;
    if (!skip_a)
      ok = bench_overhead(a, tmp.path.string()) && ok;
    if (!skip_b)
      ok = bench_scaling(s, tmp.path.string()) && ok;
    if (!skip_c)
      ok = bench_recovery(c, self_path(), tmp) && ok;
    std::printf("\nload at the end: %s; targets %s\n", load_average().c_str(),
                ok ? "all met" : "NOT all met (see MISSED above)");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_checkpoint: error: %s\n", e.what());
    return 1;
  }
}
