// examples/kafka_wordcount, Structured Streaming's Kafka word count: lines produced by an
// independent client, counts read back from the output topic, compared with a reference count.
// In complete mode every trigger republishes the whole table, so each word's last message is its
// count; the counts of a word only grow along its partition. And the demos run with no broker.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>

#include "tests/kafka/support.hpp"

using namespace sluice::kafka_test;
using namespace sluice::test;

namespace {

using word_counts = std::map<std::string, int64_t>;

/// The reference: a word is a maximal run of bytes other than the six ASCII whitespace bytes.
void count_words(const std::string& text, word_counts& counts) {
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    auto j = i;
    while (j < text.size() && !is_space(text[j]))
      ++j;
    ++counts[text.substr(i, j - i)];
    i = j;
  }
}

/// The first `n` non-empty lines of the King James Bible shipped with the examples.
std::vector<std::string> kjv_lines(std::size_t n) {
  std::ifstream in(SLUICE_SOURCE_DIR "/examples/data/kjv.txt");
  std::vector<std::string> lines;
  for (std::string l; lines.size() < n && std::getline(in, l);)
    if (l.find_first_not_of(" \t\r") != std::string::npos && l.find('\t') == std::string::npos)
      lines.push_back(l);
  return lines;
}

/// Runs the job on `lines` in `mode`; returns the last count per word and checks that each
/// word's counts never decrease along its partition.
word_counts run_wordcount(const std::vector<std::string>& lines, const std::string& mode) {
  dev_broker broker{{"lines:3", "counts:3"}};
  temp_dir dir;
  std::vector<std::pair<std::string, std::string>> messages;
  for (const auto& l : lines)
    messages.emplace_back("", l);
  produce(broker.bootstrap(), "lines", messages);
  auto r = run(kafka_wordcount, {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "lines",
                                  "--kafka-output", "counts", "--kafka-bounded", "--output-mode", mode,
                                  "--trigger-ms", "50", "--checkpoint-dir", dir / "ck",
                                  "--checkpoint-interval-ms", "50", "--parallelism", "2"});
  BOOST_REQUIRE_MESSAGE(r.succeeded(), r.describe());
  word_counts last;
  for (const auto& m : consume_all(broker.bootstrap(), "counts")) {
    BOOST_REQUIRE(m.key);
    auto c = std::stoll(m.value);
    BOOST_TEST(c >= last[*m.key], "count of '" << *m.key << "' went down");
    last[*m.key] = c;
  }
  return last;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_wordcount_example)

BOOST_AUTO_TEST_CASE(complete_mode_ends_with_the_reference_counts) {
  auto lines = kjv_lines(3000);
  word_counts expected;
  for (const auto& l : lines)
    count_words(l, expected);
  BOOST_TEST((run_wordcount(lines, "complete") == expected));
}

BOOST_AUTO_TEST_CASE(update_mode_ends_with_the_reference_counts) {
  auto lines = kjv_lines(1000);
  word_counts expected;
  for (const auto& l : lines)
    count_words(l, expected);
  BOOST_TEST((run_wordcount(lines, "update") == expected));
}

BOOST_AUTO_TEST_CASE(the_demos_run_on_an_embedded_broker_with_no_flags) {
  auto wc = run(kafka_wordcount, {});
  BOOST_REQUIRE_MESSAGE(wc.succeeded(), wc.describe());
  for (const char* row : {"the\t3\n", "dog\t3\n", "words\t4\n", "Batch: "})
    BOOST_TEST(wc.out.find(row) != std::string::npos, row << " in: " << wc.out);
  BOOST_TEST(wc.err.find("embedded development broker") != std::string::npos, wc.err);
  temp_dir dir;
  auto ab = run(account_balances, {"--kafka-input", "tx", "--kafka-output", "balances",
                                   "--dead-letter-dir", dir / "dl"});
  BOOST_REQUIRE_MESSAGE(ab.succeeded(), ab.describe());
  BOOST_TEST(ab.out.find("Topic 'balances' (7 messages)") != std::string::npos, ab.out);
  BOOST_TEST(ab.out.find("alice\tt7,alice,5,755\n") != std::string::npos, ab.out);
}

BOOST_AUTO_TEST_SUITE_END()
