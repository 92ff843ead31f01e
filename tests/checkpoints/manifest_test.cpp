// The checkpoint manifest (checkpoints/manifest.hpp): its JSON carries every field back, carries
// its own checksum so that any changed value is detected, and names its format so that a manifest
// from an unknown format is refused rather than misread.
#include <xxhash.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"
#include "tests/fakes/messages.hpp"

using sluice::checkpoints::manifest;
using sluice::checkpoints::manifest_format;
using sluice::checkpoints::manifest_from_json;
using sluice::checkpoints::operator_state_entry;
using sluice::checkpoints::subtask_state;
using sluice::checkpoints::to_json;
using sluice::test::contains;
using sluice::test::error_of;

namespace {

/// A manifest using every field: a keyed operator on two subtasks (state file, RocksDB files),
/// a source with a position, a subtask without any state.
manifest sample() {
  manifest m;
  m.id = 42;
  m.job = "src(source);count;out(sink);";
  m.max_parallelism = 128;
  m.time_ms = 1764060000123;
  m.final = true;
  m.duration_ms = 17;
  subtask_state a;
  a.subtask = 0;
  a.key_group_first = 0;
  a.key_group_last = 63;
  a.state_file = "chk-42/count/0.state";
  a.state_bytes = 1234;
  a.state_checksum = 0xfedcba9876543210ull;
  a.external_dir = "chk-42/count/0.rocksdb";
  a.external_files = {"000012.sst", "CURRENT", "MANIFEST-000005"};
  subtask_state b;
  b.subtask = 1;
  b.key_group_first = 64;
  b.key_group_last = 127;
  b.state_file = "chk-42/count/1.state";
  b.state_bytes = 99;
  b.state_checksum = 1;
  subtask_state source;
  source.subtask = 0;
  source.key_group_first = 0;
  source.key_group_last = 127;
  source.description = R"({"file":"in.txt","offset":4096})";
  subtask_state sink;  // nothing at all
  sink.key_group_last = 127;
  m.operators = {operator_state_entry{"src", 1, {source}},
                 operator_state_entry{"count", 2, {a, b}},
                 operator_state_entry{"out", 1, {sink}}};
  return m;
}

void check_same(const subtask_state& got, const subtask_state& want) {
  BOOST_TEST(got.subtask == want.subtask);
  BOOST_TEST(got.key_group_first == want.key_group_first);
  BOOST_TEST(got.key_group_last == want.key_group_last);
  BOOST_TEST(got.state_file == want.state_file);
  BOOST_TEST(got.state_bytes == want.state_bytes);
  BOOST_TEST(got.state_checksum == want.state_checksum);
  BOOST_TEST(got.external_dir == want.external_dir);
  BOOST_TEST(got.external_files == want.external_files);
  BOOST_TEST(got.description == want.description);
}

void check_same(const manifest& got, const manifest& want) {
  BOOST_TEST(got.id == want.id);
  BOOST_TEST(got.job == want.job);
  BOOST_TEST(got.max_parallelism == want.max_parallelism);
  BOOST_TEST(got.time_ms == want.time_ms);
  BOOST_TEST(got.final == want.final);
  BOOST_TEST(got.duration_ms == want.duration_ms);
  BOOST_REQUIRE(got.operators.size() == want.operators.size());
  for (std::size_t i = 0; i < want.operators.size(); ++i) {
    BOOST_TEST(got.operators[i].uid == want.operators[i].uid);
    BOOST_TEST(got.operators[i].parallelism == want.operators[i].parallelism);
    BOOST_REQUIRE(got.operators[i].subtasks.size() == want.operators[i].subtasks.size());
    for (std::size_t s = 0; s < want.operators[i].subtasks.size(); ++s)
      check_same(got.operators[i].subtasks[s], want.operators[i].subtasks[s]);
  }
}

/// The message of the std::runtime_error thrown parsing `text`, or "" when it parses.
std::string rejection(const std::string& text) {
  return error_of([&] { manifest_from_json(text); });
}

/// `text` with the first occurrence of `from` replaced by `to`; fails the test if absent.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in the manifest");
  return text.replace(at, from.size(), to);
}

/// Re-signs edited manifest JSON the way to_json signs it: xxHash3 of the compact dump of
/// everything but the checksum.
std::string resigned(nlohmann::json j) {
  j.erase("xxh3");
  auto canonical = j.dump();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(canonical.data(), canonical.size())));
  j["xxh3"] = hex;
  return j.dump(2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manifest_json)

BOOST_AUTO_TEST_CASE(a_manifest_reads_back_with_every_field) {
  auto m = sample();
  check_same(manifest_from_json(to_json(m)), m);
}

BOOST_AUTO_TEST_CASE(a_manifest_without_operators_reads_back) {
  manifest m;
  m.id = 1;
  m.job = "j";
  m.max_parallelism = 4;
  check_same(manifest_from_json(to_json(m)), m);
}

BOOST_AUTO_TEST_CASE(find_and_state_bytes_answer_from_the_operators) {
  auto m = sample();
  BOOST_REQUIRE(m.find("count"));
  BOOST_TEST(m.find("count")->parallelism == 2u);
  BOOST_TEST(!m.find("missing"));
  BOOST_TEST(m.state_bytes() == 1234u + 99u);
}

BOOST_AUTO_TEST_CASE(the_json_names_its_format_and_carries_a_checksum) {
  auto j = nlohmann::json::parse(to_json(sample()));
  BOOST_TEST(j.at("format").get<uint32_t>() == manifest_format);
  BOOST_TEST(j.at("checkpoint").get<uint64_t>() == 42u);
  BOOST_TEST(j.at("xxh3").get<std::string>().size() == 16u);
}

BOOST_AUTO_TEST_CASE(a_manifest_reformatted_without_changing_values_still_verifies) {
  auto compact = nlohmann::json::parse(to_json(sample())).dump();
  check_same(manifest_from_json(compact), sample());
}

BOOST_AUTO_TEST_CASE(a_changed_value_fails_the_checksum) {
  auto text = to_json(sample());
  for (auto [from, to] : {std::pair<std::string, std::string>{"\"max_parallelism\": 128",
                                                              "\"max_parallelism\": 64"},
                          {"\"bytes\": 1234", "\"bytes\": 1235"},
                          {"\"final\": true", "\"final\": false"},
                          {"CURRENT", "CURRENT2"},
                          {"4096", "4097"}}) {
    auto why = rejection(replaced(text, from, to));
    BOOST_TEST(contains(why, "checksum mismatch"), from << " -> " << to << ": '" << why << "'");
  }
}

BOOST_AUTO_TEST_CASE(a_changed_checksum_fails_the_checksum) {
  auto j = nlohmann::json::parse(to_json(sample()));
  auto sum = j["xxh3"].get<std::string>();
  sum[0] = sum[0] == '0' ? '1' : '0';
  j["xxh3"] = sum;
  auto why = rejection(j.dump(2));
  BOOST_TEST(contains(why, "checksum mismatch"), why);
}

BOOST_AUTO_TEST_CASE(a_manifest_without_a_checksum_is_refused) {
  auto j = nlohmann::json::parse(to_json(sample()));
  j.erase("xxh3");
  auto why = rejection(j.dump(2));
  BOOST_TEST(contains(why, "no checksum"), why);
}

BOOST_AUTO_TEST_CASE(text_that_is_not_json_is_refused) {
  for (std::string text : {"", "not json", "{\"checkpoint\": 1", "[1, 2]"}) {
    auto why = rejection(text);
    BOOST_TEST(contains(why, "not valid JSON"), "'" << text << "': '" << why << "'");
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_format_version_is_refused) {
  auto j = nlohmann::json::parse(to_json(sample()));
  j["format"] = manifest_format + 1;
  auto text = resigned(j);
  auto why = rejection(text);
  BOOST_TEST(contains(why, "format " + std::to_string(manifest_format + 1)), why);
  BOOST_TEST(contains(why, "not supported"), why);
}

BOOST_AUTO_TEST_CASE(resigning_an_unchanged_manifest_keeps_it_valid) {
  // The helper above matches to_json's signature, so the previous test fails on the format.
  auto text = resigned(nlohmann::json::parse(to_json(sample())));
  check_same(manifest_from_json(text), sample());
}

BOOST_AUTO_TEST_SUITE_END()
