// Umbrella header of the native paddle_like API.
#pragma once
#include "pl/config.h"
#include "pl/kernel.h"
#include "pl/op_registry.h"
#include "pl/predictor.h"
#include "pl/status.h"
#include "pl/tensor.h"
