// Checkpoint tests: the write-ahead log. Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE checkpoints
#include <boost/test/unit_test.hpp>
