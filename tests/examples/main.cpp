// Example tests: the example binaries run as a user runs them (flags in; exit status, stdout,
// stderr and output files out). Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE examples
#include <boost/test/unit_test.hpp>
