// Sluice's public API in one include: environment, typed streams, connectors, command line.
#pragma once

#include "sluice/cli.hpp"
#include "sluice/environment.hpp"
#include "sluice/stream.hpp"
