// bench_cluster: what running a job on several processes costs, measured on one machine.
//
// Throughput: word count (shuffle-heavy) over a repeated-text corpus, run (a) in one process
// (--role local), (b) as a coordinator with one worker holding both slots, and (c) as a
// coordinator with two one-slot workers, all at --parallelism 2 on loopback, alternating for
// --runs; medians are printed as ratios to (a) of the same run, because absolute times drift on
// a shared machine. Every run's output must equal the local one's (sorted lines of the part files).
//
// Recovery: account_balances on a generated ledger, a coordinator and three one-slot workers with
// checkpoints every 200 ms. Once a checkpoint has completed, one worker that hosts subtasks gets
// SIGKILL (or SIGSTOP, a hang the heartbeats must detect); the bench records when the coordinator
// reports the loss and the restart, when the restarted job completes its first checkpoint and
// when its first part file is committed. The committed output must then hold every transaction
// exactly once, with each account's final balance equal to the sum of its amounts.
//
// The job binaries run as child processes (posix_spawn); wall time is from launching the first
// process to the coordinator's (or the local process's) exit, CPU time is that of all of them.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/harness.hpp"
#include "bench/processes.hpp"

namespace fs = std::filesystem;

namespace {

using namespace sluice::bench;

struct bench_options {
  // Where the wordcount and account_balances binaries are.
  std::string examples = SLUICE_EXAMPLES_DIR;
  std::string seed = SLUICE_SOURCE_DIR "/examples/data/kjv.txt";
  double size_mb = 250;
  int runs = 3;
  uint64_t ledger_lines = 4'000'000;
  int repeats = 3;
  uint32_t kill_delay_ms = 100;
  bool quick = false;
  bool skip_throughput = false;
  bool skip_recovery = false;
};


/// Names of the committed part files in `dir` (hidden in-progress files start with '.').
std::vector<std::string> part_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind("part-", 0) == 0)
      names.push_back(name);
  }
  return names;
}

// -- throughput: word count ----------------------------------------------------------------------

/// Writes `seed` repeated until the file holds at least `size_mb` MB; returns the copies.
int make_corpus(const std::string& file, const std::string& seed, double size_mb) {
  std::ifstream in(seed, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty())
    throw std::runtime_error("cannot read seed text '" + seed + "'");
  if (text.back() != '\n')
    text.push_back('\n');
  std::ofstream out(file, std::ios::binary);
  int copies = 0;
  for (uint64_t written = 0; written < static_cast<uint64_t>(size_mb * 1e6);
       written += text.size(), ++copies)
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush())
    throw std::runtime_error("cannot write corpus '" + file + "'");
  return copies;
}

/// Every line of every part file in `dir`, sorted.
std::vector<std::string> sorted_output(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& name : part_files(dir)) {
    std::ifstream f(dir + "/" + name);
    for (std::string l; std::getline(f, l);)
      lines.push_back(std::move(l));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct wordcount_config {
  std::string name;
  int workers = 0;  // 0: --role local
  int slots = 0;
  std::vector<double> seconds;
  std::vector<double> cpu;
  std::vector<double> coordinator_cpu;
};

struct run_time {
  double seconds = 0;
  double cpu = 0;              // of every process of the run
  double coordinator_cpu = 0;  // of the coordinator alone
};

run_time run_wordcount(const bench_options& b, const wordcount_config& c, const std::string& corpus,
                       const std::string& output, const temp_dir& tmp) {
  auto binary = b.examples + "/wordcount";
  std::vector<std::string> flags{"--input", corpus, "--output", output, "--parallelism", "2"};
  if (c.workers == 0) {
    std::vector<std::string> argv{binary, "--role", "local"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto t0 = clock_type::now();
    child p(argv, tmp / "local.err");
    p.wait(std::chrono::minutes(10), "the local word count");
    if (!p.succeeded())
      throw std::runtime_error("the local word count failed (" + p.describe_exit() + ")");
    return {seconds_between(t0, p.exit_time()), p.cpu_seconds(), 0};
  }
  cluster_run run;
  run.start(binary, flags, c.workers, c.slots, tmp.path.string());
  run.finish(std::chrono::minutes(10));
  return {seconds_between(run.started, run.coordinator->exit_time()), run.cpu_seconds(),
          run.coordinator->cpu_seconds()};
}

void bench_throughput(const bench_options& b, const temp_dir& tmp) {
  auto corpus = tmp / "corpus";
  fs::create_directory(corpus);
  int copies = make_corpus(corpus + "/corpus.txt", b.seed, b.size_mb);
  double mb = static_cast<double>(fs::file_size(corpus + "/corpus.txt")) / 1e6;
  std::vector<wordcount_config> configs{{"(a) local, 1 process", 0, 0, {}, {}, {}},
                                        {"(b) coord + 1 worker x2 slots", 1, 2, {}, {}, {}},
                                        {"(c) coord + 2 workers x1 slot", 2, 1, {}, {}, {}}};
  std::printf("word count: %.1f MB (%s x%d), --parallelism 2, %d rounds, %u cores, load %s\n", mb,
              fs::path(b.seed).filename().c_str(), copies, b.runs,
              std::thread::hardware_concurrency(), load_average().c_str());
  std::fflush(stdout);
  std::vector<std::string> reference;
  uint64_t words = 0;
  for (int round = 0; round < b.runs; ++round) {
    std::printf("round %d:", round + 1);
    for (auto& c : configs) {
      auto out = tmp / "wordcount-out";
      fs::remove_all(out);
      auto t = run_wordcount(b, c, corpus, out, tmp);
      auto got = sorted_output(out);
      if (reference.empty()) {  // the first local run is the reference
        reference = std::move(got);
        for (const auto& l : reference)
          words += std::stoull(l.substr(l.rfind('\t') + 1));
        if (reference.empty())
          throw std::runtime_error("the local word count wrote no output");
      } else if (got != reference) {
        throw std::runtime_error(
            c.name + ", round " + std::to_string(round + 1) + ": " + std::to_string(got.size()) +
            " output lines differ from the local run's " + std::to_string(reference.size()));
      }
      c.seconds.push_back(t.seconds);
      c.cpu.push_back(t.cpu);
      c.coordinator_cpu.push_back(t.coordinator_cpu);
      std::printf(" %s %.2f s", c.name.substr(0, 3).c_str(), t.seconds);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  std::printf("%.2f M words, %zu distinct; every run's output equals the local run's\n",
              static_cast<double>(words) / 1e6, reference.size());
  std::printf("%-31s %8s %7s %9s %8s %8s %8s %8s\n", "configuration", "median s", "MB/s",
              "M words/s", "ratio", "cpu s", "cpu", "coord.");
  std::printf("%-31s %8s %7s %9s %8s %8s %8s %8s\n", "", "", "", "", "to (a)", "(median)", "to (a)",
              "cpu s");
  double base = median(configs[0].seconds), base_cpu = median(configs[0].cpu);
  for (const auto& c : configs) {
    double s = median(c.seconds), cpu = median(c.cpu);
    std::printf("%-31s %8.2f %7.1f %9.2f %7.2fx %8.2f %7.2fx %8.2f\n", c.name.c_str(), s, mb / s,
                static_cast<double>(words) / 1e6 / s, base / s, cpu, cpu / base_cpu,
                median(c.coordinator_cpu));
  }
  std::fflush(stdout);
}

// -- recovery: account_balances ------------------------------------------------------------------

constexpr uint32_t ledger_accounts = 10'000;

/// Writes "t<i>,acc<k>,<amount>" lines (a fixed pseudo-random sequence); returns each account's
/// sum of amounts, which the final balance must equal.
std::vector<int64_t> make_ledger(const std::string& file, uint64_t lines) {
  std::vector<int64_t> sums(ledger_accounts);
  std::ofstream out(file, std::ios::binary);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  std::string buf;
  for (uint64_t i = 0; i < lines; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    auto account = static_cast<uint32_t>(x % ledger_accounts);
    auto amount = static_cast<int64_t>((x >> 20) % 15'000) - 5'000;
    sums[account] += amount;
    buf += "t" + std::to_string(i) + ",acc" + std::to_string(account) + "," +
           std::to_string(amount) + "\n";
    if (buf.size() > (1 << 20)) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  if (!out.flush())
    throw std::runtime_error("cannot write ledger '" + file + "'");
  return sums;
}

/// Throws unless the part files in `dir` hold every transaction exactly once and each account's
/// last balance (part files of a subtask in sequence order) equals its sum of amounts.
void check_ledger_output(const std::string& dir, const std::vector<int64_t>& sums, uint64_t lines) {
  auto names = part_files(dir);
  auto key = [](const std::string& n) {  // part-S-N → (S, N)
    auto d = n.find('-', 5);
    return std::pair{std::stoull(n.substr(5, d - 5)), std::stoull(n.substr(d + 1))};
  };
  std::sort(names.begin(), names.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  std::vector<uint8_t> seen(lines);
  std::vector<int64_t> last(ledger_accounts);
  uint64_t rows = 0;
  for (const auto& name : names) {
    std::ifstream f(dir + "/" + name);
    for (std::string l; std::getline(f, l); ++rows) {
      auto c1 = l.find(','), c2 = l.find(',', c1 + 1), c3 = l.rfind(',');
      auto txn = std::stoull(l.substr(1, c1 - 1));
      auto account = std::stoul(l.substr(c1 + 4, c2 - c1 - 4));
      if (txn >= lines || account >= ledger_accounts || seen[txn]++)
        throw std::runtime_error("output row '" + l + "' (" + name + ") is unknown or a duplicate");
      last[account] = std::stoll(l.substr(c3 + 1));
    }
  }
  if (rows != lines)
    throw std::runtime_error("the output holds " + std::to_string(rows) + " of " +
                             std::to_string(lines) + " transactions");
  for (uint32_t a = 0; a < ledger_accounts; ++a)
    if (last[a] != sums[a])
      throw std::runtime_error("account acc" + std::to_string(a) + " ends at balance " +
                               std::to_string(last[a]) + ", its amounts sum to " +
                               std::to_string(sums[a]));
}

/// Highest id of a completed checkpoint (chk-N/manifest.json) in `dir`, 0 when none.
uint64_t latest_checkpoint(const std::string& dir) {
  uint64_t latest = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.rfind("chk-", 0) == 0 && fs::exists(it->path() / "manifest.json", ec))
      latest = std::max<uint64_t>(latest, std::strtoull(name.c_str() + 4, nullptr, 10));
  }
  return latest;
}

/// Seconds from the kill to each step of the recovery.
struct recovery_times {
  double lost = 0;        // the coordinator prints "worker NAME lost"
  double restarted = 0;   // ... and "attempt 2" (its tasks are being deployed)
  double checkpoint = 0;  // the first checkpoint of attempt 2 has completed (manifest written)
  double part = 0;        // the first part file committed by attempt 2 is visible
};

/// The number following `key` in `text` ("" when there is none).
std::string number_after(const std::string& text, const std::string& key) {
  auto at = text.find(key);
  if (at == std::string::npos)
    return {};
  at += key.size();
  return text.substr(at, text.find_first_not_of("0123456789", at) - at);
}

/// The worker to signal in repeat `repeat`, and its name ("HOST:PID") as the coordinator says it.
/// Slots go round-robin over the workers in join order: with one slot each and parallelism 2 the
/// first two to join host the subtasks (alternately picked), the third is the spare of the restart.
std::pair<child*, std::string> pick_victim(cluster_run& run, int repeat) {
  std::vector<std::string> joined;
  for (std::size_t from = 0; joined.size() < 2;) {
    auto l = run.log.wait_for(" joined with ", from, std::chrono::seconds(30));
    if (!l)
      throw std::runtime_error("workers did not join:\n" + run.log.all() + run.worker_logs());
    auto name = l->text.substr(l->text.find("worker ") + 7);
    joined.push_back(name.substr(0, name.find(' ')));
    from = l->index + 1;
  }
  auto name = joined[static_cast<std::size_t>(repeat) % 2];
  auto pid = std::stoi(name.substr(name.rfind(':') + 1));
  for (auto& w : run.workers)
    if (w->pid() == pid)
      return {w.get(), name};
  throw std::runtime_error("worker " + name + " is not one this bench started");
}

/// Waits until the job has completed a checkpoint (its manifest exists).
void wait_for_checkpoint(cluster_run& run, const std::string& chk) {
  auto deadline = clock_type::now() + std::chrono::seconds(60);
  while (latest_checkpoint(chk) == 0) {
    if (run.coordinator->poll() || clock_type::now() > deadline)
      throw std::runtime_error("no checkpoint completed:\n" + run.log.all());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Polls the coordinator's log, the checkpoints and the output every 2 ms after `killed` until
/// the restarted attempt has committed a part file. A part file counts only once a checkpoint
/// newer than the restored one exists: files appearing before are commits of checkpoints the old
/// attempt completed (or that the restore re-commits), which say nothing about recovery.
recovery_times watch_recovery(cluster_run& run, std::size_t log_at_kill,
                              clock_type::time_point killed, const std::string& out,
                              const std::string& chk, uint64_t& restored) {
  recovery_times t;
  std::optional<uint64_t> from;
  std::optional<clock_type::time_point> new_checkpoint;
  auto parts = part_files(out);
  for (auto deadline = killed + std::chrono::seconds(60);;) {
    auto now = clock_type::now();
    if (!from)
      if (auto l = run.log.find("attempt 2:", log_at_kill)) {
        auto id = number_after(l->text, "restoring checkpoint ");
        from = id.empty() ? 0 : std::stoull(id);
        t.restarted = seconds_between(killed, l->at);
      }
    if (from && !new_checkpoint && latest_checkpoint(chk) > *from)
      new_checkpoint = now;
    auto listed = part_files(out);
    bool fresh = std::any_of(listed.begin(), listed.end(), [&](const auto& n) {
      return std::find(parts.begin(), parts.end(), n) == parts.end();
    });
    if (fresh && new_checkpoint) {
      t.part = seconds_between(killed, now);
      t.checkpoint = seconds_between(killed, *new_checkpoint);
      restored = *from;
      return t;
    }
    parts = std::move(listed);
    if (run.coordinator->poll())
      throw std::runtime_error(
          "the job ended before a restarted attempt committed output (more "
          "--ledger-lines?):\n" +
          run.log.all());
    if (now > deadline)
      throw std::runtime_error("no recovery within 60 s:\n" + run.log.all() + run.worker_logs());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// One job with one lost worker: `sig` goes to a worker hosting subtasks once a checkpoint has
/// completed (and `kill_delay_ms` passed); the output must then be exactly once.
recovery_times run_recovery(const bench_options& b, int sig, int repeat, const std::string& ledger,
                            const std::vector<int64_t>& sums, const temp_dir& tmp) {
  auto out = tmp / "ledger-out", chk = tmp / "ledger-chk";
  fs::remove_all(out);
  fs::remove_all(chk);
  cluster_run run;
  run.start(b.examples + "/account_balances",
            {"--input", ledger, "--output", out, "--parallelism", "2", "--checkpoint-dir", chk,
             "--checkpoint-interval-ms", "200"},
            3, 1, tmp.path.string());
  auto [victim, victim_name] = pick_victim(run, repeat);
  wait_for_checkpoint(run, chk);
  std::this_thread::sleep_for(std::chrono::milliseconds(b.kill_delay_ms));
  auto log_at_kill = run.log.size();
  auto killed = clock_type::now();
  victim->signal(sig);
  uint64_t restored = 0;
  auto t = watch_recovery(run, log_at_kill, killed, out, chk, restored);
  // The coordinator says which worker it lost before it restarts, so the line is there by now.
  auto lost = run.log.find("worker " + victim_name + " lost", log_at_kill);
  if (!lost)
    throw std::runtime_error("the coordinator restarted without losing " + victim_name + ":\n" +
                             run.log.all());
  t.lost = seconds_between(killed, lost->at);
  victim->signal(SIGKILL);  // a stopped worker is ended now that recovery has been seen
  run.finish(std::chrono::minutes(5));
  check_ledger_output(out, sums, b.ledger_lines);
  std::printf(
      "  %s %d: worker %s, restored checkpoint %llu: lost %+.0f ms, attempt 2 %+.0f ms, "
      "checkpoint %+.0f ms, part file %+.0f ms; output exactly once\n",
      sig == SIGKILL ? "SIGKILL" : "SIGSTOP", repeat + 1, victim_name.c_str(),
      static_cast<unsigned long long>(restored), t.lost * 1e3, t.restarted * 1e3,
      t.checkpoint * 1e3, t.part * 1e3);
  std::fflush(stdout);
  return t;
}

void bench_recovery(const bench_options& b, const temp_dir& tmp) {
  auto ledger = tmp / "ledger.csv";
  auto sums = make_ledger(ledger, b.ledger_lines);
  std::printf(
      "\nrecovery: account_balances, %.1f M transactions (%.1f MB), coordinator + 3 workers x1 "
      "slot, --parallelism 2, checkpoints every 200 ms, --node-timeout-ms 1500 (default); "
      "a worker hosting subtasks is signalled %u ms after the first checkpoint; load %s\n",
      static_cast<double>(b.ledger_lines) / 1e6, static_cast<double>(fs::file_size(ledger)) / 1e6,
      b.kill_delay_ms, load_average().c_str());
  std::fflush(stdout);
  std::vector<std::pair<int, std::vector<recovery_times>>> results{{SIGKILL, {}}, {SIGSTOP, {}}};
  for (int r = 0; r < b.repeats; ++r)  // alternating, as the throughput rounds
    for (auto& [sig, times] : results)
      times.push_back(run_recovery(b, sig, r, ledger, sums, tmp));
  std::printf("%-8s %-18s %-18s %-18s %-18s\n", "signal", "lost (ms)", "attempt 2 (ms)",
              "checkpoint (ms)", "part file (ms)");
  std::printf("%-8s %-18s %-18s %-18s %-18s\n", "", "median / max", "median / max", "median / max",
              "median / max");
  for (const auto& [sig, times] : results) {
    std::printf("%-8s", sig == SIGKILL ? "SIGKILL" : "SIGSTOP");
    for (auto field : {&recovery_times::lost, &recovery_times::restarted,
                       &recovery_times::checkpoint, &recovery_times::part}) {
      std::vector<double> xs;
      for (const auto& t : times)
        xs.push_back(t.*field * 1e3);
      char cell[32];
      std::snprintf(cell, sizeof cell, "%.0f / %.0f", median(xs),
                    *std::max_element(xs.begin(), xs.end()));
      std::printf(" %-18s", cell);
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench_options b;
  CLI::App app{
      "Word count throughput in one process vs a coordinator with workers on loopback, "
      "and recovery time after a lost worker."};
  app.add_option("--examples", b.examples,
                 "Directory of the wordcount and account_balances binaries")
      ->capture_default_str();
  app.add_option("--seed", b.seed, "Text repeated to build the word count corpus")
      ->capture_default_str();
  app.add_option("--size-mb", b.size_mb, "Size of the word count corpus, MB")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--runs", b.runs, "Alternating word count rounds (medians are reported)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ledger-lines", b.ledger_lines, "Transactions of the recovery ledger")
      ->check(CLI::Range(uint64_t{1000}, uint64_t{1} << 32))
      ->capture_default_str();
  app.add_option("--repeats", b.repeats, "Recoveries measured per signal (SIGKILL, SIGSTOP)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--kill-delay-ms", b.kill_delay_ms,
                 "Signal the worker this long after the first checkpoint")
      ->capture_default_str();
  app.add_flag("--quick", b.quick, "20 MB corpus, 1 round, 1 recovery per signal");
  app.add_flag("--skip-throughput", b.skip_throughput, "Only measure recovery");
  app.add_flag("--skip-recovery", b.skip_recovery, "Only measure throughput");
  CLI11_PARSE(app, argc, argv);
  if (b.quick) {
    b.size_mb = std::min(b.size_mb, 20.0);
    b.runs = b.repeats = 1;
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    temp_dir tmp{"sluice-bench-cluster"};
    std::printf("bench_cluster: %u cores, load %s\n", std::thread::hardware_concurrency(),
                load_average().c_str());
    if (!b.skip_throughput)
      bench_throughput(b, tmp);
    if (!b.skip_recovery)
      bench_recovery(b, tmp);
    std::printf("load at the end: %s\n", load_average().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cluster: error: %s\n", e.what());
    return 1;
  }
}
