// The human-readable text of `sluice checkpoints list` and `sluice checkpoints show`: pure
// formatting of what checkpoint_inventory and checkpoint_storage found, no file access.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"
#include "checkpoints/storage.hpp"
#include "tools/checkpoint_inventory.hpp"

namespace sluice::tools {

/// ISO-8601 local time with milliseconds and the UTC offset, e.g. "2026-11-24T10:20:24.640+01:00".
std::string iso8601_local(int64_t time_ms);

/// A header line, then one line per entry in the given order: id, time, duration in ms, state
/// bytes, number of operators (each "-" when the manifest does not read) and, last because a
/// damage reason can be long, the status.
void write_checkpoint_table(std::ostream& out, const std::vector<checkpoint_entry>& entries);

/// The line saying what a job restarted on this directory would restore from, e.g.
/// "restart restores: checkpoint 7 (final: the job had finished)".
std::string recovery_line(const checkpoints::recovery_choice& choice);

/// A checkpoint's manifest laid out for reading: id, time, final flag, job fingerprint, then per
/// operator its subtasks with key-group range, state file (size, checksum), external files and
/// the "state" description (source positions, pending sink commits) as indented JSON.
void write_manifest_text(std::ostream& out, const checkpoints::manifest& m);

}  // namespace sluice::tools
