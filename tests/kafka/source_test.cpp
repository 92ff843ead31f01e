// The Kafka source against an in-process development cluster: splits per partition, bounded and
// continuous reading, start positions, positions in checkpoints, partitions that appear later,
// and the errors a user must see.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/kafka/connector_support.hpp"

using namespace sluice;
using namespace sluice::kafka_test;

namespace {

std::multiset<std::string> values(const std::vector<kafka_record>& rs) {
  std::multiset<std::string> out;
  for (const auto& r : rs)
    out.insert(r.value);
  return out;
}

std::multiset<std::string> values_of(const std::vector<std::pair<std::string, std::string>>& ms) {
  std::multiset<std::string> out;
  for (const auto& m : ms)
    out.insert(m.second);
  return out;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_source_tests)

BOOST_AUTO_TEST_CASE(bounded_subtasks_read_every_record_once_from_their_own_partitions) {
  cluster_fixture f{"in", 5};
  auto msgs = numbered(0, 600, 13);
  kafka_produce_all(f.connection, "in", msgs);
  auto o = f.source();
  o.bounded = true;
  std::vector<kafka_record> all;
  for (uint32_t s = 0; s < 2; ++s) {
    kafka_source src{o};
    src.open(context(s, 2));
    collecting_emitter out;
    BOOST_TEST((drain(src, out) == poll_status::finished));
    for (const auto& r : out.records) {
      BOOST_TEST(static_cast<uint32_t>(r.partition % 2) == s, "partition " << r.partition << " read by subtask " << s);
      BOOST_TEST(r.topic == "in");
      BOOST_TEST(r.timestamp > 0);
      BOOST_TEST(r.key == "k" + std::to_string(std::stoul(r.value.substr(1)) % 13), r.value);
    }
    all.insert(all.end(), out.records.begin(), out.records.end());
  }
  BOOST_TEST((values(all) == values_of(msgs)));
  // Offsets per partition are dense and increasing: each record once, in order.
  std::map<int32_t, int64_t> next;
  for (const auto& r : all) {
    BOOST_TEST(r.offset == next[r.partition], "partition " << r.partition);
    next[r.partition] = r.offset + 1;
  }
}

BOOST_AUTO_TEST_CASE(bounded_mode_stops_at_the_end_offsets_seen_at_start) {
  cluster_fixture f;
  kafka_produce_all(f.connection, "in", numbered(0, 100));
  auto o = f.source();
  o.bounded = true;
  kafka_source src{o};
  src.open(context(0, 1));
  collecting_emitter out;
  src.poll(out, 1);  // the start (and the end offsets) are fixed at the first poll
  kafka_produce_all(f.connection, "in", numbered(100, 50));
  BOOST_TEST((drain(src, out) == poll_status::finished));
  BOOST_TEST((values(out.records) == values_of(numbered(0, 100))));
}

BOOST_AUTO_TEST_CASE(a_restored_reader_resumes_right_after_the_last_record_it_emitted) {
  cluster_fixture f{"in", 3};
  auto msgs = numbered(0, 900);
  kafka_produce_all(f.connection, "in", msgs);
  auto o = f.source();
  o.bounded = true;
  operator_snapshot snap;
  snap.checkpoint_id = 4;
  collecting_emitter first;
  {
    kafka_source src{o};
    src.open(context(0, 1));
    drain(src, first, 300);
    src.snapshot_state(snap);
  }
  auto j = nlohmann::json::parse(snap.description);
  BOOST_TEST(j.at("offsets").at("in").size() == 3u, snap.description);
  kafka_source again{o};
  again.open(context(0, 1));
  operator_restore r;
  r.checkpoint_id = 4;
  r.old_parallelism = 1;
  r.operator_state = &snap.description;  // the source's state text is its description
  again.restore_state(r);
  collecting_emitter second;
  BOOST_TEST((drain(again, second) == poll_status::finished));
  auto both = first.records;
  both.insert(both.end(), second.records.begin(), second.records.end());
  BOOST_TEST((values(both) == values_of(msgs)));
}

BOOST_AUTO_TEST_CASE(a_changed_parallelism_is_refused_with_a_clear_message) {
  cluster_fixture f;
  kafka_source src{f.source()};
  src.open(context(0, 3));
  operator_restore r;
  r.old_parallelism = 2;
  try {
    src.restore_state(r);
    BOOST_FAIL("restore accepted a changed parallelism");
  } catch (const kafka_error& e) {
    BOOST_TEST(std::string{e.what()}.find("parallelism changed from 2 to 3") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(start_latest_reads_only_records_produced_after_the_start) {
  cluster_fixture f;
  kafka_produce_all(f.connection, "in", numbered(0, 50));
  auto o = f.source();
  o.start = kafka_start::latest;
  kafka_source src{o};
  src.open(context(0, 1));
  collecting_emitter out;
  BOOST_TEST((src.poll(out, 100) != poll_status::finished));
  kafka_produce_all(f.connection, "in", numbered(50, 20));
  drain(src, out, 20);
  BOOST_TEST((values(out.records) == values_of(numbered(50, 20))));
}

BOOST_AUTO_TEST_CASE(start_committed_continues_where_the_group_committed_after_a_checkpoint) {
  cluster_fixture f{"in", 2};
  auto msgs = numbered(0, 200);
  kafka_produce_all(f.connection, "in", msgs);
  auto o = f.source();
  o.group_id = "ledger";
  collecting_emitter first;
  {
    kafka_source src{o};
    src.open(context(0, 1));
    drain(src, first, 120);
    operator_snapshot snap;
    snap.checkpoint_id = 1;
    src.snapshot_state(snap);
    src.checkpoint_complete(1, false);  // commits asynchronously; closing waits for it
  }
  o.start = kafka_start::committed;
  o.bounded = true;
  kafka_source src{o};
  src.open(context(0, 1));
  collecting_emitter second;
  drain(src, second);
  auto both = first.records;
  both.insert(both.end(), second.records.begin(), second.records.end());
  BOOST_TEST((values(both) == values_of(msgs)), first.records.size() << " + " << second.records.size());
}

BOOST_AUTO_TEST_CASE(start_timestamp_skips_records_older_than_it) {
  cluster_fixture f;
  kafka_produce_all(f.connection, "in", numbered(0, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t = now_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kafka_produce_all(f.connection, "in", numbered(60, 40));
  auto o = f.source();
  parse_kafka_start(std::to_string(t), o);
  o.bounded = true;
  kafka_source src{o};
  src.open(context(0, 1));
  collecting_emitter out;
  drain(src, out);
  BOOST_TEST((values(out.records) == values_of(numbered(60, 40))));
}

BOOST_AUTO_TEST_CASE(partitions_that_appear_later_are_read_from_their_beginning) {
  cluster_fixture f{"in", 4};
  auto msgs = numbered(0, 400, 29);
  kafka_produce_all(f.connection, "in", msgs);
  std::atomic<int32_t> visible{2};  // the cluster "has" 2 partitions, then 4
  auto o = f.source();
  o.discovery_ms = 20;
  o.list_partitions = [&visible](const std::string&) { return visible.load(); };
  kafka_source src{o};
  src.open(context(0, 1));
  collecting_emitter out;
  src.poll(out, 1);
  BOOST_TEST(src.assigned().size() == 2u);
  drain(src, out, 1);  // some of the first two partitions' records
  for (const auto& r : out.records)
    BOOST_TEST(r.partition < 2);
  visible = 4;
  drain(src, out, msgs.size());
  BOOST_TEST(src.assigned().size() == 4u);
  BOOST_TEST((values(out.records) == values_of(msgs)));
}

BOOST_AUTO_TEST_CASE(a_missing_topic_is_named) {
  cluster_fixture f;
  kafka_source src{f.source("no-such-topic")};
  try {
    src.open(context(0, 1));
    BOOST_FAIL("opened a missing topic");
  } catch (const kafka_error& e) {
    BOOST_TEST(std::string{e.what()}.find("topic 'no-such-topic' does not exist") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(unreachable_brokers_fail_after_the_timeout_naming_them) {
  kafka_source_options o;
  o.connection.brokers = "127.0.0.1:1";
  o.connection.timeout_ms = 500;
  o.topics = {"in"};
  kafka_source src{o};
  try {
    src.open(context(0, 1));
    BOOST_FAIL("opened a source on unreachable brokers");
  } catch (const kafka_error& e) {
    BOOST_TEST(std::string{e.what()}.find("cannot reach Kafka brokers at 127.0.0.1:1 within 500 ms") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(start_positions_parse_and_bad_ones_are_named) {
  kafka_source_options o;
  parse_kafka_start("latest", o);
  BOOST_TEST((o.start == kafka_start::latest));
  parse_kafka_start("committed", o);
  BOOST_TEST((o.start == kafka_start::committed));
  parse_kafka_start("1700000000000", o);
  BOOST_TEST((o.start == kafka_start::timestamp));
  BOOST_TEST(o.start_timestamp_ms == 1700000000000);
  for (const char* bad : {"", "newest", "-5", "12x"})
    BOOST_CHECK_THROW(parse_kafka_start(bad, o), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
