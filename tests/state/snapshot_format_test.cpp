// The snapshot file format (state/snapshot_format.hpp): sections come back as written, and every
// kind of damage — truncation, a flipped byte in a section or in the footer, a wrong magic, a
// format version from the future — is rejected with a message naming the file. Atomic writes
// leave no temp file behind.
#include <xxhash.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "state/snapshot_format.hpp"
#include "tests/fakes/messages.hpp"
#include "tests/fakes/temp_dir.hpp"

namespace fs = std::filesystem;
using sluice::state::file_checksum;
using sluice::state::no_key_group;
using sluice::state::section_id;
using sluice::state::snapshot_format_version;
using sluice::state::snapshot_reader;
using sluice::state::snapshot_writer;
using sluice::state::write_file_atomically;
using sluice::test::contains;
using sluice::test::error_of;
using sluice::test::names_in;
using sluice::test::read_file;
using sluice::test::temp_dir;
using sluice::test::write_file;

namespace {

constexpr std::size_t header_bytes = 8 + 4 + 8;  // magic, version, section count
constexpr std::size_t footer_bytes = 8 + 8;      // footer magic, file checksum

/// Recomputes the whole-file checksum at the end, so that damage elsewhere reaches the checks
/// behind it (as a writer with a bug, rather than a bad disk, would produce).
void reseal(std::string& bytes) {
  uint64_t sum = XXH3_64bits(bytes.data(), bytes.size() - 8);
  std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
}

/// A snapshot with two tables and operator state.
std::string write_sample(const temp_dir& dir) {
  snapshot_writer w;
  w.add(section_id{"counts", 3}, "abc");
  w.add(section_id{"counts", 7}, "defg");
  w.add(section_id{"", no_key_group}, "operator-state");
  w.add(section_id{"names", 3}, "");
  auto path = dir / "0.state";
  w.write(path);
  return path;
}

/// The message of the std::runtime_error thrown reading `path`, or "" when it reads fine.
std::string rejection(const std::string& path) {
  return error_of([&] { snapshot_reader r(path); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_format)

BOOST_AUTO_TEST_CASE(sections_are_read_back_as_written) {
  temp_dir dir;
  snapshot_reader r(write_sample(dir));
  BOOST_REQUIRE(r.find(section_id{"counts", 3}));
  BOOST_TEST(*r.find(section_id{"counts", 3}) == "abc");
  BOOST_TEST(*r.find(section_id{"counts", 7}) == "defg");
  BOOST_TEST(*r.find(section_id{"", no_key_group}) == "operator-state");
  BOOST_REQUIRE(r.find(section_id{"names", 3}));
  BOOST_TEST(r.find(section_id{"names", 3})->empty());
  BOOST_TEST(!r.find(section_id{"counts", 4}));
  BOOST_TEST(!r.find(section_id{"other", 3}));
}

BOOST_AUTO_TEST_CASE(table_names_and_sections_leave_out_operator_state) {
  temp_dir dir;
  snapshot_reader r(write_sample(dir));
  BOOST_TEST((r.table_names() == std::vector<std::string>{"counts", "names"}));
  auto counts = r.table("counts");
  BOOST_REQUIRE(counts.size() == 2u);
  BOOST_TEST(counts[0].first == 3u);
  BOOST_TEST(*counts[0].second == "abc");
  BOOST_TEST(counts[1].first == 7u);
  BOOST_TEST(*counts[1].second == "defg");
  BOOST_TEST(r.table("").empty());
  BOOST_TEST(r.table("missing").empty());
}

BOOST_AUTO_TEST_CASE(binary_section_bytes_survive_unchanged) {
  temp_dir dir;
  std::string bytes;
  for (int i = 0; i < 4096; ++i)
    bytes.push_back(static_cast<char>(i * 31));
  snapshot_writer w;
  w.add(section_id{"blob", 0}, bytes);
  auto path = dir / "blob.state";
  w.write(path);
  snapshot_reader r(path);
  BOOST_REQUIRE(r.find(section_id{"blob", 0}));
  BOOST_TEST((*r.find(section_id{"blob", 0}) == bytes));
}

BOOST_AUTO_TEST_CASE(a_snapshot_without_sections_reads_back_empty) {
  temp_dir dir;
  snapshot_writer w;
  BOOST_TEST(w.empty());
  auto path = dir / "empty.state";
  w.write(path);
  snapshot_reader r(path);
  BOOST_TEST(r.table_names().empty());
  BOOST_TEST(!r.find(section_id{"", no_key_group}));
}

BOOST_AUTO_TEST_CASE(write_returns_the_checksum_of_the_whole_file) {
  temp_dir dir;
  snapshot_writer w;
  w.add(section_id{"counts", 1}, "x");
  auto path = dir / "0.state";
  auto sum = w.write(path);
  BOOST_TEST(sum == file_checksum(path));
  auto bytes = read_file(path);
  BOOST_TEST(sum == XXH3_64bits(bytes.data(), bytes.size()));
}

BOOST_AUTO_TEST_CASE(a_truncated_file_is_rejected_naming_the_file) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto whole = read_file(path);
  for (std::size_t keep : {whole.size() - 1, whole.size() - footer_bytes, whole.size() / 2,
                           header_bytes, std::size_t{10}, std::size_t{0}}) {
    write_file(path, whole.substr(0, keep));
    auto why = rejection(path);
    BOOST_TEST(contains(why, path), "keeping " << keep << " bytes: '" << why << "'");
  }
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_a_section_is_rejected_naming_the_file) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto bytes = read_file(path);
  auto at = bytes.find("defg");
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at + 1] ^= 0x01;
  write_file(path, bytes);
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_TEST(contains(why, "damaged"), why);
}

BOOST_AUTO_TEST_CASE(a_flipped_section_byte_under_a_valid_file_checksum_fails_the_section_checksum) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto bytes = read_file(path);
  auto at = bytes.find("defg");
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at + 1] ^= 0x01;
  reseal(bytes);
  write_file(path, bytes);
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_TEST(contains(why, "section 'counts'"), why);
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_in_the_footer_is_rejected_naming_the_file) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto whole = read_file(path);
  // One byte of the footer magic, then one of the file checksum.
  for (std::size_t from_end : {footer_bytes, std::size_t{3}}) {
    auto bytes = whole;
    bytes[bytes.size() - from_end] ^= 0x20;
    write_file(path, bytes);
    auto why = rejection(path);
    BOOST_TEST(contains(why, path), "byte " << from_end << " from the end: '" << why << "'");
    BOOST_TEST(contains(why, "damaged"), why);
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_footer_magic_under_a_valid_file_checksum_is_rejected) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto bytes = read_file(path);
  bytes[bytes.size() - footer_bytes] ^= 0x20;
  reseal(bytes);
  write_file(path, bytes);
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_TEST(contains(why, "footer"), why);
}

BOOST_AUTO_TEST_CASE(a_wrong_magic_is_rejected_naming_the_file) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto bytes = read_file(path);
  bytes[0] = 'X';
  write_file(path, bytes);
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_TEST(contains(why, "not a sluice state snapshot"), why);

  auto other = dir / "notes.txt";
  write_file(other, "just some text that is long enough to have a footer\n");
  why = rejection(other);
  BOOST_TEST(contains(why, other), why);
  BOOST_TEST(contains(why, "not a sluice state snapshot"), why);
}

BOOST_AUTO_TEST_CASE(a_future_format_version_is_rejected_naming_the_file) {
  temp_dir dir;
  auto path = write_sample(dir);
  auto bytes = read_file(path);
  uint32_t future = snapshot_format_version + 1;
  std::memcpy(bytes.data() + 8, &future, sizeof future);
  reseal(bytes);
  write_file(path, bytes);
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_TEST(contains(why, "format version " + std::to_string(future)), why);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_rejected_naming_it) {
  temp_dir dir;
  auto path = dir / "absent.state";
  auto why = rejection(path);
  BOOST_TEST(contains(why, path), why);
  BOOST_CHECK_THROW(file_checksum(path), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(write_file_atomically_leaves_only_the_target_file) {
  temp_dir dir;
  auto path = dir / "manifest.json";
  write_file_atomically(path, "first");
  BOOST_TEST((names_in(dir.path()) == std::vector<std::string>{"manifest.json"}));
  BOOST_TEST(read_file(path) == "first");
  write_file_atomically(path, "second, longer");
  BOOST_TEST((names_in(dir.path()) == std::vector<std::string>{"manifest.json"}));
  BOOST_TEST(read_file(path) == "second, longer");
}

BOOST_AUTO_TEST_CASE(a_snapshot_write_leaves_only_the_snapshot_file) {
  temp_dir dir;
  write_sample(dir);
  BOOST_TEST((names_in(dir.path()) == std::vector<std::string>{"0.state"}));
}

BOOST_AUTO_TEST_CASE(write_file_atomically_into_a_missing_directory_throws_naming_the_path) {
  temp_dir dir;
  auto path = dir / "no-such-dir/manifest.json";
  try {
    write_file_atomically(path, "x");
    BOOST_ERROR("writing into a missing directory succeeded");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(contains(e.what(), path), e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
