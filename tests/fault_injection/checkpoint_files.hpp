// What a test sees of a checkpoint directory from outside the job (the layout of
// checkpoints/storage.hpp: DIR/chk-N/manifest.json, DIR/chk-N/<uid>/<subtask>.state), what the
// job says about it on stderr, and ways to damage a checkpoint on purpose.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/checkpoint_dir.hpp"

namespace sluice::fault_test {

/// Ids of the checkpoints of `dir` whose manifest is present (completed ones), ascending.
using test::manifest_ids;

/// N of the line "sluice: restoring from checkpoint N in DIR" of a job's stderr, if present.
std::optional<uint64_t> restored_checkpoint(const std::string& err);

/// The lines of `text` that contain `needle`.
std::vector<std::string> lines_containing(const std::string& text, const std::string& needle);

/// Truncates a non-empty state file of checkpoint `id` to half its size; returns its path.
std::string truncate_a_state_file(const std::string& dir, uint64_t id);

/// Flips one bit of a non-blank byte in the middle of checkpoint `id`'s manifest.
void flip_a_manifest_byte(const std::string& dir, uint64_t id);

/// Names of the files directly in `dir`, sorted (empty when it does not exist).
std::vector<std::string> file_names(const std::string& dir);

}  // namespace sluice::fault_test
