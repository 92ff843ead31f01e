// The Kafka sink's writer against an in-process development cluster: nothing visible before its
// checkpoint completes, recovery after a writer vanished before, during or after publishing,
// rescaled restores, at-least-once mode, partitioning, and topic errors. What is in the topic is
// read back with kafka_read_all (from the earliest offset, uncommitted data included).
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "connectors/kafka_partitioner.hpp"
#include "connectors/kafka_sink.hpp"
#include "connectors/kafka_sink_log.hpp"
#include "state/snapshot_format.hpp"
#include "tests/kafka/connector_support.hpp"
#include "tests/kafka/support.hpp"

using namespace sluice;
using namespace sluice::kafka_test;

namespace {

struct sink_fixture : cluster_fixture {
  sink_fixture() : cluster_fixture("out", 3) {}
  kafka_sink_options options(kafka_delivery d = kafka_delivery::exactly_once) const {
    kafka_sink_options o;
    o.connection = connection;
    o.topic = "out";
    o.delivery = d;
    return o;
  }
  task_context ctx(uint32_t subtask = 0, uint32_t parallelism = 1) const {
    auto c = context(subtask, parallelism, "sink");
    c.checkpointing = true;
    c.checkpoint_dir = dir.path().string();
    return c;
  }
  std::vector<kafka_record> topic() const { return kafka_read_all(connection, "out"); }
  /// Reads the topic until it holds `n` messages (hang guard), servicing `w` meanwhile.
  std::vector<kafka_record> wait_for(std::size_t n, kafka_writer* w = nullptr) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      if (w)
        w->service();
      auto all = topic();
      if (all.size() >= n || std::chrono::steady_clock::now() > deadline)
        return all;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  test::temp_dir dir;
};

void add_numbered(kafka_writer& w, std::size_t first, std::size_t n) {
  kafka_message m;
  for (std::size_t i = first; i < first + n; ++i) {
    m.key = "k" + std::to_string(i % 11);
    m.value = "v" + std::to_string(i);
    w.add(m);
  }
  w.end_batch();
}

/// Values in the topic, with how often each appears.
std::map<std::string, int> counts(const std::vector<kafka_record>& rs) {
  std::map<std::string, int> c;
  for (const auto& r : rs)
    ++c[r.value];
  return c;
}

/// Checks that values v<first>..v<first+n-1> are each in `rs` exactly once, and nothing else.
void expect_each_once(const std::vector<kafka_record>& rs, std::size_t first, std::size_t n) {
  auto c = counts(rs);
  BOOST_TEST(rs.size() == n);
  std::size_t wrong = 0;
  for (std::size_t i = first; i < first + n; ++i)
    if (c["v" + std::to_string(i)] != 1 && ++wrong <= 3)
      BOOST_TEST(c["v" + std::to_string(i)] == 1, "v" << i);
  BOOST_TEST(wrong == 0u);
}

operator_restore restore_of(const std::string& state, uint64_t id, uint32_t old_parallelism) {
  operator_restore r;
  r.checkpoint_id = id;
  r.old_parallelism = old_parallelism;
  r.operator_state = &state;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_sink_tests)

BOOST_AUTO_TEST_CASE(exactly_once_publishes_an_epoch_only_after_its_checkpoint_completes) {
  sink_fixture f;
  kafka_writer w{f.options()};
  w.open(f.ctx());
  add_numbered(w, 0, 500);
  w.service();
  w.precommit(1);
  add_numbered(w, 500, 100);  // epoch 2: not pre-committed
  for (int i = 0; i < 20; ++i)
    w.service();
  BOOST_TEST(f.topic().empty(), "nothing is visible before checkpoint 1 completes");
  w.commit_upto(1, false);
  auto got = f.wait_for(500, &w);
  expect_each_once(got, 0, 500);
  for (const auto& r : got) {
    BOOST_TEST(*r.header("sluice.writer") == "sink/0-of-1");
    BOOST_TEST(*r.header("sluice.epoch") == "1");
    BOOST_TEST(r.header("sluice.seq") != nullptr);
    BOOST_TEST(r.partition == kafka_partition_for_key(r.key, 3), r.key);
  }
  w.precommit(2);
  w.commit_upto(2, true);  // the final checkpoint waits for delivery
  expect_each_once(f.topic(), 0, 600);
}

BOOST_AUTO_TEST_CASE(a_writer_gone_before_publishing_is_published_by_its_successor) {
  sink_fixture f;
  std::string state;
  {
    kafka_writer w{f.options()};
    w.open(f.ctx());
    add_numbered(w, 0, 300);
    state = w.precommit(1);
  }  // gone between the checkpoint's completion and its commit
  kafka_writer next{f.options()};
  next.open(f.ctx());
  next.restore(restore_of(state, 1, 1));
  expect_each_once(f.topic(), 0, 300);
}

BOOST_AUTO_TEST_CASE(a_writer_gone_mid_publish_is_completed_exactly_once_by_its_successor) {
  sink_fixture f;
  std::string state;
  std::size_t before = 0;
  {
    kafka_writer w{f.options()};
    w.open(f.ctx());
    add_numbered(w, 0, 20000);
    state = w.precommit(1);
    w.commit_upto(1, false);  // hands messages to the producer; most are not delivered yet
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }  // torn down: undelivered messages are purged
  before = f.topic().size();
  BOOST_TEST_MESSAGE(before << " of 20000 messages were in the topic when the writer vanished");
  kafka_writer next{f.options()};
  next.open(f.ctx());
  next.restore(restore_of(state, 1, 1));
  expect_each_once(f.topic(), 0, 20000);
  // Its successor's new epochs go on after them.
  add_numbered(next, 20000, 10);
  next.precommit(2);
  next.commit_upto(2, true);
  expect_each_once(f.topic(), 0, 20010);
}

BOOST_AUTO_TEST_CASE(a_writer_that_had_published_everything_leaves_nothing_to_republish) {
  sink_fixture f;
  std::string state;
  {
    kafka_writer w{f.options()};
    w.open(f.ctx());
    add_numbered(w, 0, 400);
    state = w.precommit(1);
    w.commit_upto(1, true);
  }
  kafka_writer next{f.options()};
  next.open(f.ctx());
  next.restore(restore_of(state, 1, 1));
  expect_each_once(f.topic(), 0, 400);
}

BOOST_AUTO_TEST_CASE(a_rescaled_restore_adopts_each_earlier_writer_exactly_once) {
  sink_fixture f;
  // Two writers (parallelism 2) pre-commit and vanish; their states go into state files as a
  // checkpoint would hold them.
  std::vector<restore_part> parts;
  for (uint32_t s = 0; s < 2; ++s) {
    kafka_writer w{f.options()};
    auto c = f.ctx(s, 2);
    w.open(c);
    add_numbered(w, s * 1000, 1000);
    operator_snapshot snap;
    snap.set_operator_state(w.precommit(1));
    auto path = f.dir / ("state-" + std::to_string(s));
    snap.sections.write(path);
    restore_part p;
    p.subtask = s;
    p.key_group_first = c.key_group_first();
    p.key_group_last = c.key_group_last();
    p.file = std::make_shared<state::snapshot_reader>(path);
    parts.push_back(p);
  }
  // Parallelism 1 now: the single subtask owns both first key groups, so it adopts both.
  kafka_writer next{f.options()};
  next.open(f.ctx(0, 1));
  operator_restore r;
  r.checkpoint_id = 1;
  r.old_parallelism = 2;
  r.parts = parts;
  next.restore(r);
  expect_each_once(f.topic(), 0, 2000);
  std::set<std::string> writers;
  for (const auto& rec : f.topic())
    writers.insert(*rec.header("sluice.writer"));
  BOOST_TEST((writers == std::set<std::string>{"sink/0-of-2", "sink/1-of-2"}));
}

BOOST_AUTO_TEST_CASE(at_least_once_publishes_without_waiting_for_a_checkpoint) {
  sink_fixture f;
  kafka_writer w{f.options(kafka_delivery::at_least_once)};
  w.open(f.ctx());
  add_numbered(w, 0, 200);
  expect_each_once(f.wait_for(200, &w), 0, 200);
  for (const auto& r : f.topic())
    BOOST_TEST(r.header("sluice.epoch") == nullptr);
}

BOOST_AUTO_TEST_CASE(without_checkpoints_the_end_of_input_flushes_everything) {
  sink_fixture f;
  kafka_writer w{f.options()};
  auto c = f.ctx();
  c.checkpointing = false;
  w.open(c);
  add_numbered(w, 0, 300);
  w.finish();
  expect_each_once(f.topic(), 0, 300);
}

BOOST_AUTO_TEST_CASE(a_missing_output_topic_is_named_unless_auto_creation_is_asked_for) {
  sink_fixture f;
  auto o = f.options();
  o.topic = "nowhere";
  kafka_writer w{o};
  try {
    w.open(f.ctx());
    BOOST_FAIL("opened a sink on a missing topic");
  } catch (const kafka_error& e) {
    BOOST_TEST(std::string{e.what()}.find("topic 'nowhere' does not exist") != std::string::npos, e.what());
  }
  o.auto_create_topic = true;
  kafka_writer created{o};
  created.open(f.ctx());
  BOOST_TEST(kafka_partition_count(f.connection, "nowhere") > 0);
}

BOOST_AUTO_TEST_CASE(keys_are_partitioned_like_the_java_client) {
  // Kafka's own test vectors for Utils.murmur2 (UtilsTest.testMurmur2), as signed ints.
  std::vector<std::pair<std::string, int32_t>> vectors = {
      {"21", -973932308},
      {"foobar", -790332482},
      {"a-little-bit-long-string", -985981536},
      {"a-little-bit-longer-string", -1486304829},
      {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
      {"abc", 479470107},
  };
  for (const auto& [key, expected] : vectors)
    BOOST_TEST(static_cast<int32_t>(kafka_murmur2(key)) == expected, key);
  BOOST_TEST(kafka_partition_for_key("foobar", 7) ==
             static_cast<int32_t>((static_cast<uint32_t>(-790332482) & 0x7fffffff) % 7));
}

BOOST_AUTO_TEST_CASE(logged_messages_round_trip_and_damage_is_detected) {
  std::string key("k\0ey", 4), value("v\xff\0lue", 6);
  auto bytes = kafka_sink_log::encode(5, true, key, value);
  kafka_sink_log::record_view r;
  BOOST_TEST(kafka_sink_log::decode(bytes, r));
  BOOST_TEST(r.partition == 5);
  BOOST_TEST(r.has_key);
  BOOST_TEST(std::string(r.key) == key);
  BOOST_TEST(std::string(r.value) == value);
  BOOST_TEST(!kafka_sink_log::decode(bytes.substr(0, 6), r));
  auto keyless = kafka_sink_log::encode(0, false, "", "x");
  BOOST_TEST(kafka_sink_log::decode(keyless, r));
  BOOST_TEST(!r.has_key);
  BOOST_CHECK_THROW(kafka_sink_log::writer_state::parse("{\"writer\": 1}"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
