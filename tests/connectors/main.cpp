// Connector tests: line splitting, file splits and reading, follow mode, the socket and generator
// sources, the file and console sinks. Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE connectors
#include <boost/test/unit_test.hpp>
