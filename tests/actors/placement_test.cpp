// actors/placement.hpp: a job needs as many slots as its highest parallelism; slot s runs subtask
// s of every operator, slots are taken round-robin over the workers (an even spread), no worker
// gets more subtasks than it has slots, and too few slots place nothing. Also the multi-node
// flag checks of actors/cluster.hpp: HOST:PORT parsing and one-line errors naming the flag.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/cluster.hpp"
#include "actors/physical_plan.hpp"
#include "actors/placement.hpp"
#include "sluice/sluice.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace {

using sluice::actors::build_plan;
using sluice::actors::check_cluster_options;
using sluice::actors::parse_host_port;
using sluice::actors::physical_plan;
using sluice::actors::place_tasks;
using sluice::actors::plan_options;
using sluice::actors::slots_needed;
using count_row = std::pair<int64_t, int64_t>;

int64_t parity(const int64_t& x) {
  return x % 2;
}

/// generator (parallelism `sources`) → keyed count (parallelism `counts`) → collect. The plan
/// points into the graph: both are kept together.
struct job {
  job(uint32_t sources, uint32_t counts) {
    auto c = env.generate<int64_t>(100, [](uint64_t i) { return static_cast<int64_t>(i); })
                 .parallelism(sources)
                 .key_by(parity)
                 .count();
    c.parallelism(counts);
    c.collect(std::make_shared<sluice::collected<count_row>>());
    plan_options o;
    o.parallelism = counts;  // the sink's, so it chains with the count
    plan = build_plan(env.graph(), o);
  }
  sluice::environment env{};
  physical_plan plan;
};

/// Per worker, the subtask indexes (slots) its tasks use.
std::map<uint32_t, std::set<uint32_t>> slots_used(const physical_plan& plan,
                                                  const std::vector<uint32_t>& placement) {
  std::map<uint32_t, std::set<uint32_t>> used;
  for (const auto& t : plan.tasks)
    used[placement.at(t.id)].insert(t.ctx.subtask);
  return used;
}

/// Fails unless every task's worker is the worker of subtask `t.ctx.subtask` of every other
/// operator (slot sharing).
void expect_slot_sharing(const physical_plan& plan, const std::vector<uint32_t>& placement) {
  std::map<uint32_t, uint32_t> worker_of_subtask;
  for (const auto& t : plan.tasks) {
    auto [it, fresh] = worker_of_subtask.emplace(t.ctx.subtask, placement[t.id]);
    BOOST_TEST(it->second == placement[t.id],
               t.name << " is on worker " << placement[t.id] << ", subtask " << t.ctx.subtask
                      << " of another operator on worker " << it->second);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(placement)

BOOST_AUTO_TEST_CASE(a_job_needs_as_many_slots_as_its_highest_parallelism) {
  BOOST_TEST(slots_needed(job(3, 2).plan) == 3u);
  BOOST_TEST(slots_needed(job(1, 4).plan) == 4u);
  BOOST_TEST(slots_needed(job(1, 1).plan) == 1u);
}

BOOST_AUTO_TEST_CASE(every_task_gets_a_worker_and_equal_subtasks_share_one) {
  job j(3, 2);
  auto placement = place_tasks(j.plan, {1, 1, 1});
  BOOST_TEST_REQUIRE(placement.size() == j.plan.tasks.size());
  for (const auto& t : j.plan.tasks)
    BOOST_TEST(placement[t.id] == t.ctx.subtask, t.name);  // one slot each: slot s on worker s
  expect_slot_sharing(j.plan, placement);
}

BOOST_AUTO_TEST_CASE(slots_are_taken_round_robin_so_subtasks_spread_evenly) {
  job j(4, 4);
  auto placement = place_tasks(j.plan, {2, 2});
  BOOST_TEST_REQUIRE(placement.size() == j.plan.tasks.size());
  auto used = slots_used(j.plan, placement);
  BOOST_TEST(used[0] == (std::set<uint32_t>{0, 2}), boost::test_tools::per_element());
  BOOST_TEST(used[1] == (std::set<uint32_t>{1, 3}), boost::test_tools::per_element());
  expect_slot_sharing(j.plan, placement);
  // With more slots than needed, every worker still gets a share before any gets a second.
  auto spread = slots_used(j.plan, place_tasks(j.plan, {4, 4, 4, 4}));
  for (uint32_t w = 0; w < 4; ++w)
    BOOST_TEST(spread[w].size() == 1u, "worker " << w);
}

BOOST_AUTO_TEST_CASE(no_worker_gets_more_subtasks_than_it_has_slots) {
  job j(4, 3);
  const std::vector<std::vector<uint32_t>> offers = {
      {1, 3}, {3, 1}, {0, 4}, {2, 0, 2}, {1, 1, 1, 1}};
  for (const auto& slots : offers) {
    auto placement = place_tasks(j.plan, slots);
    BOOST_TEST_REQUIRE(placement.size() == j.plan.tasks.size());
    for (const auto& [w, used] : slots_used(j.plan, placement)) {
      BOOST_TEST_REQUIRE(w < slots.size());
      BOOST_TEST(used.size() <= slots[w], "worker " << w << " runs " << used.size()
                                                    << " subtasks on " << slots[w] << " slots");
    }
    expect_slot_sharing(j.plan, placement);
  }
}

BOOST_AUTO_TEST_CASE(too_few_slots_place_nothing) {
  job j(3, 2);
  BOOST_TEST(place_tasks(j.plan, {1, 1}).empty());
  BOOST_TEST(place_tasks(j.plan, {2}).empty());
  BOOST_TEST(place_tasks(j.plan, {0, 0, 0}).empty());
  BOOST_TEST(place_tasks(j.plan, {}).empty());
  BOOST_TEST(place_tasks(j.plan, {2, 1}).size() == j.plan.tasks.size());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(multi_node_flags)

BOOST_AUTO_TEST_CASE(host_port_parses_hosts_ports_and_bracketed_ipv6) {
  auto a = parse_host_port("127.0.0.1:7077");
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "127.0.0.1");
  BOOST_TEST(a->port == 7077u);
  auto any = parse_host_port("0.0.0.0:0");
  BOOST_TEST_REQUIRE(any.has_value());
  BOOST_TEST(any->port == 0u);
  auto top = parse_host_port("node-3.example:65535");
  BOOST_TEST_REQUIRE(top.has_value());
  BOOST_TEST(top->host == "node-3.example");
  BOOST_TEST(top->port == 65535u);
  auto v6 = parse_host_port("[::1]:80");
  BOOST_TEST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(v6->port == 80u);
}

BOOST_AUTO_TEST_CASE(host_port_rejects_what_is_not_host_colon_port) {
  for (const char* bad : {"nonsense", "", ":7077", "host:", "host:65536", "host:12a", "host:-1",
                          "host:1234567", "host: 80"})
    BOOST_TEST(!parse_host_port(bad).has_value(), "'" << bad << "' parsed");
}

BOOST_AUTO_TEST_CASE(a_local_job_and_well_formed_roles_pass_the_checks) {
  sluice::job_options o;
  BOOST_TEST(check_cluster_options(o) == "");
  o.role = "coordinator";
  o.listen = "127.0.0.1:0";
  BOOST_TEST(check_cluster_options(o) == "");
  o.role = "worker";
  o.join = "127.0.0.1:7077";
  BOOST_TEST(check_cluster_options(o) == "");
}

BOOST_AUTO_TEST_CASE(each_bad_flag_gives_one_line_naming_it) {
  auto error_of = [](auto change) {
    sluice::job_options o;
    o.role = "worker";
    o.join = "127.0.0.1:7077";
    change(o);
    return check_cluster_options(o);
  };
  auto expect_names = [](const std::string& error, const std::string& flag) {
    BOOST_TEST(error.find(flag) != std::string::npos, "'" << error << "' does not name " << flag);
    BOOST_TEST(error.find('\n') == std::string::npos, "'" << error << "' is not one line");
  };
  expect_names(error_of([](auto& o) { o.role = "boss"; }), "--role");
  expect_names(error_of([](auto& o) { o.join.clear(); }), "--join");
  expect_names(error_of([](auto& o) { o.join = "127.0.0.1"; }), "--join");
  expect_names(error_of([](auto& o) { o.join = "127.0.0.1:0"; }), "--join");
  expect_names(error_of([](auto& o) {
                 o.role = "coordinator";
                 o.listen = "nonsense";
               }),
               "--listen");
  auto timeouts = error_of([](auto& o) {
    o.heartbeat_interval_ms = 500;
    o.node_timeout_ms = 500;
  });
  expect_names(timeouts, "--node-timeout-ms");
  expect_names(timeouts, "--heartbeat-interval-ms");
}

BOOST_AUTO_TEST_CASE(tls_needs_all_three_files_and_each_must_exist) {
  sluice::test::temp_dir dir;
  for (const char* f : {"n.pem", "n.key", "ca.pem"})
    sluice::test::write_file(dir / f, "PEM");
  auto with = [&](std::string cert, std::string key, std::string ca) {
    sluice::job_options o;
    o.role = "coordinator";
    o.listen = "127.0.0.1:0";
    o.tls_cert = std::move(cert);
    o.tls_key = std::move(key);
    o.tls_ca = std::move(ca);
    return check_cluster_options(o);
  };
  BOOST_TEST(with(dir / "n.pem", dir / "n.key", dir / "ca.pem") == "");
  // The error names every TLS flag, and then the one missing or unreadable.
  BOOST_TEST(with(dir / "n.pem", "", "").find("--tls-key is missing") != std::string::npos);
  BOOST_TEST(with(dir / "n.pem", dir / "n.key", "").find("--tls-ca is missing") !=
             std::string::npos);
  BOOST_TEST(with("", dir / "n.key", dir / "ca.pem").find("--tls-cert is missing") !=
             std::string::npos);
  auto unreadable = with(dir / "n.pem", dir / "missing.key", dir / "ca.pem");
  BOOST_TEST(unreadable.find("--tls-key '" + dir / "missing.key" + "'") != std::string::npos,
             unreadable);
}

BOOST_AUTO_TEST_SUITE_END()
