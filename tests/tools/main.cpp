// Tests of the `sluice` command-line tool: the real binary run as a user runs it, against
// checkpoint directories that real runs of examples/account_balances produced. Every other .cpp
// of this folder joins this executable.
#define BOOST_TEST_MODULE tools
#include <boost/test/unit_test.hpp>
