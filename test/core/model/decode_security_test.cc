// Placeholder: tests arrive with their decoders.
#include <doctest/doctest.h>
