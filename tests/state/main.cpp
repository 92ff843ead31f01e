// State tests (state/): keyed state handles scoped to the current key, and whatever else the
// folder holds. Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE state
#include <boost/test/unit_test.hpp>
