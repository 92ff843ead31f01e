#include "sluice/keys.hpp"

#include <xxhash.h>

namespace sluice {

uint64_t hash_bytes(const void* data, std::size_t len, uint64_t seed) {
  return XXH3_64bits_withSeed(data, len, seed);
}

}  // namespace sluice
