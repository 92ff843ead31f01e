// What a checkpoint directory holds, as an operator sees it: every chk-N directory, complete or
// not, each with a status and, when its manifest reads, the manifest. Reads only; never repairs.
// Free functions without shared state: call them from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkpoints/manifest.hpp"
#include "checkpoints/storage.hpp"

namespace sluice::tools {

/// What a chk-N directory amounts to.
enum class checkpoint_status {
  complete,    ///< manifest and every file it names verified; a job may restore from it
  final,       ///< complete, and written when the job ran to its end
  incomplete,  ///< no manifest: a checkpoint that was in progress or aborted
  damaged,     ///< the manifest or a file it names fails verification (see `reason`)
};

/// "complete", "final", "incomplete (no manifest)" or "damaged: REASON".
std::string describe(checkpoint_status status, const std::string& reason);

/// One chk-N directory.
struct checkpoint_entry {
  uint64_t id = 0;
  checkpoint_status status = checkpoint_status::incomplete;
  std::string reason;                              ///< why it is damaged; "" otherwise
  std::optional<checkpoints::manifest> manifest;   ///< when the manifest itself reads and verifies
                                                   ///< (also for a checkpoint whose state files are
                                                   ///< damaged)

  std::string status_text() const { return describe(status, reason); }
  bool valid() const {
    return status == checkpoint_status::complete || status == checkpoint_status::final;
  }
};

/// Every chk-N directory of `storage.dir()`, ascending by id, each verified with load_verified.
/// Empty when the directory does not exist or holds no checkpoints.
std::vector<checkpoint_entry> inventory(const checkpoints::checkpoint_storage& storage);

/// The entry of checkpoint `id` alone (verified as by inventory()); nullopt when there is no
/// chk-`id` directory.
std::optional<checkpoint_entry> find_checkpoint(const checkpoints::checkpoint_storage& storage,
                                                uint64_t id);

}  // namespace sluice::tools
