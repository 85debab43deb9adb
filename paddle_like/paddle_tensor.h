// Paddle Inference splits its API over several headers; paddle_like keeps it in one.
#pragma once
#include "paddle_inference_api.h"  // NOLINT
