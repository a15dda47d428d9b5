// The engine's public API in one header, for programs that embed it (docs/embedding.md):
// tensors and devices, the ops (each an autograd-recorded function), the autograd controls, the
// per-program Context (device, stream, allocators, switches: the one implicit argument of every
// op), modules and optimisers, safetensors I/O, the JESS smoothing network, the frozen VGG16
// features of the contrastive loss and DeepLabv3+ (MobileNetV2) of the semantic loss.
#pragma once

#include "engine/autograd.h"
#include "engine/context.h"
#include "engine/device.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/io/safetensors.h"
#include "engine/nn/layers.h"
#include "engine/nn/module.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "engine/profiler.h"
#include "engine/tensor.h"
#include "models/deeplabv3plus.h"
#include "models/jess.h"
#include "models/vgg16.h"
