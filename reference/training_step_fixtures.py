#!/usr/bin/env python3
"""Float64 reference of one training step of Keras's VGG16 and ResNet50 with a small classifier head.

Run by hand in the virtual environment of `applications_fixtures.py` (Keras 3 on its torch backend, h5py; never a
FineTune dependency), after that script has written `<model>.json` for the same models:

    KERAS_BACKEND=torch /tmp/refvenv/bin/python reference/training_step_fixtures.py \
        --out Tests/TuneModelsTests/Fixtures/applications --models vgg16 resnet50

For each model it sets `keras.config.set_floatx("float64")` and the float64 dtype policy (every layer computes and
keeps its weights in float64, which the script checks), builds `keras.applications.<Model>(weights=None,
include_top=False, pooling="avg", input_shape=(SIZE, SIZE, 3))` and fills every weight with the formula of
`applications_fixtures.py` (`keras_fill`; the headless model's weights are numbered as in the full model, whose top
comes last, and are checked against the weights `<model>.json` records, so FineTune's tests rebuild the same weight
file from that json). On top: a `Dense(CLASSES, name="head")` whose kernel ([in, out], Keras's layout) is the formula's
kernel number HEAD_KERNEL_K with fan_in = the pooled channels and whose bias is the formula's bias number HEAD_BIAS_K.
It runs the batch of BATCH formula inputs at SIZE² in each mode of MODES: `training` (`training=True`: every
BatchNorm on the batch's statistics, as a training step of the whole model does; VGG16 has no BatchNorm) and, for
ResNet50, `frozen_batchnorm` (`training=False`: every BatchNorm on its running statistics while γ and β still train,
as Keras's fine-tuning guide runs the base). It takes the mean sparse categorical cross-entropy of the logits
against LABELS, backpropagates through every trainable weight in float64 (torch autograd under Keras's torch backend)
and writes `<model>_training_step.json`: every choice above and per mode the loss, the logits, the L2 norm of the
gradient of every trainable weight keyed `<layer>/<index>` (the index in `layer.weights`, as Keras's files number
them), the late layers a test should hold to 1e-4 (`late_layers`: the head, and VGG16's block5 convolutions or
ResNet50's conv5_block3 and conv5_block2 convolutions and BatchNorms), the biases whose gradient is zero
(`zero_gradient`: with batch statistics, ResNet50's convolution biases, each followed by a BatchNorm), and the same
step run in float32 (`float32`), to show how far a float32 computation gets.

The weights use the formula of `applications_fixtures.py` with its phase scrambled (`scrambled=True`: u =
sin(0.731 i + 1.37 k + 0.37 (i² mod 1009)), i² mod 1009 in integers). The plain formula u = sin(0.731 i + 1.37 k)
makes every kernel, seen as a matrix [out, everything else] in Keras's layout (out fastest), of rank 2
(sin(a + b) = sin a cos b + cos a sin b), so each layer passes on two numbers per pixel: VGG16's features no longer
depend on the input (its four rows of logits agreed to 1e-16, the loss was ln 4), and ResNet50's BatchNorms on batch
statistics normalized what was left, rounding noise, so that Keras's own float32 step was 29 % off its float64 loss.
The scrambled phase keeps each weight's distribution and breaks the rank.

Even so, ResNet50 on batch statistics stays out of float32's reach: at this initialization a deep network normalized
by batch statistics amplifies rounding by about 1.4× per bottleneck (Keras's float32 features are 6e-7 off float64
after the stem, 1.3e-4 after conv5_block3, at 128² as at 64²; 1.6e-6 with running statistics), so Keras's own
float32 step is 3.0e-5 off the loss and up to 7.9e-3 off the late-layer gradient norms (the `float32` record).
No float32 computation can do better: rounding nothing but the stem convolution's output to float32 (a relative
change of at most 3e-8) in the float64 step moves its loss by 2.1e-5 and conv5_block2_1_bn's gamma gradient norm by
7.4e-4 (`--stem-rounding` measures it). The float32 convolutions alone, everything else in float64, reproduce Keras's
float32 errors (loss 3.6e-5, conv5_block3_1_bn 1.4e-3); the same in the stem alone already gives the late-layer ones.

Keras 3.15's losses return float32 for float64 logits on the torch backend (their mean, `divide_no_nan`), so the
script takes the per-sample losses (`reduction=None`, float64) and their mean in torch.
"""
import argparse
import json
import os

import numpy as np

import applications_fixtures as fixtures

SIZE = 64
BATCH = 4
CLASSES = 4
LABELS = [1, 3, 0, 2]
HEAD_KERNEL_K = 1000
HEAD_BIAS_K = 1001
SCRAMBLED = True

BATCHNORM = {True: "batch statistics (training=True), biased variance, as a training step normalizes",
             False: "running statistics (training=False, Keras's fine-tuning guide), gamma and beta trainable"}

# The steps recorded per model: mode name → Keras's `training` flag. VGG16 has no BatchNorm.
MODES = {"vgg16": {"training": True}, "resnet50": {"training": True, "frozen_batchnorm": False}}

MODELS = {
    # name: (constructor, late layers held to 1e-4 besides the head)
    "vgg16": ("VGG16", ["block5_conv3", "block5_conv2", "block5_conv1"]),
    "resnet50": ("ResNet50", [f"conv5_block{b}_{i}_{kind}" for b in (3, 2) for i in (3, 2, 1) for kind in ("conv", "bn")]),
}


def inputs():
    """The formula inputs of `applications_fixtures.py` for BATCH samples at SIZE², NHWC."""
    i = np.arange(3 * SIZE * SIZE, dtype=np.float64)
    batch = np.stack([np.sin(0.01 * i + n) for n in range(BATCH)]).astype(np.float32).reshape(BATCH, 3, SIZE, SIZE)
    return np.transpose(batch, (0, 2, 3, 1))


def build(name, floatx):
    import keras
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(floatx)    # set_floatx alone keeps an earlier global policy
    constructor, _ = MODELS[name]
    base = getattr(keras.applications, constructor)(weights=None, include_top=False, pooling="avg",
                                                    input_shape=(SIZE, SIZE, 3))
    recorded = fixtures.keras_fill(base, scrambled=SCRAMBLED)
    for layer in base.layers:
        assert layer.compute_dtype == floatx and all(w.dtype == floatx for w in layer.weights), (layer.name, floatx)
    channels = base.output.shape[-1]
    head = keras.layers.Dense(CLASSES, name="head")
    model = keras.Model(base.inputs, head(base.output), name=f"{name}_step")
    head.set_weights([fixtures.formula("kernel", (channels, CLASSES), HEAD_KERNEL_K, channels, SCRAMBLED),
                      fixtures.formula("bias", (CLASSES,), HEAD_BIAS_K, None, SCRAMBLED)])
    return base, model, recorded, channels


def check_weights(name, out, recorded):
    """The headless model's formula weights are the ones `<model>.json` records for the full model."""
    with open(os.path.join(out, f"{name}.json")) as f:
        full = {(w["layer"], w["index"]): w for w in json.load(f)["keras"]["weights"]}
    for weight in recorded:
        other = full.get((weight["layer"], weight["index"]))
        if other is None or any(other[key] != weight[key] for key in ("kind", "shape", "k", "fan_in")):
            raise SystemExit(f"{name}: {weight} differs from {name}.json's {other}")


def step(name, floatx, training, out=None):
    import keras
    import torch

    base, model, recorded, channels = build(name, floatx)
    if out is not None:
        check_weights(name, out, recorded)
    dtype = torch.float64 if floatx == "float64" else torch.float32
    x = torch.from_numpy(inputs()).to(dtype)
    labels = torch.tensor(LABELS)
    for weight in model.trainable_weights:
        weight.value.grad = None
    with torch.enable_grad():
        logits = model(x, training=training)
        # Per-sample losses, then their mean in torch: Keras 3.15's own mean (`divide_no_nan` on the torch backend)
        # returns float32 for float64 operands.
        per_sample = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(labels, logits)
        loss = per_sample.mean()
        loss.backward()
    norms = {}
    for layer in model.layers:
        for index, weight in enumerate(layer.weights):
            if weight.trainable:
                grad = weight.value.grad
                if grad is None:
                    raise SystemExit(f"{name}: no gradient for {layer.name}/{index}")
                assert grad.dtype == dtype, (grad.dtype, dtype)
                norms[f"{layer.name}/{index}"] = float(torch.linalg.vector_norm(grad.to(torch.float64)))
    assert logits.dtype == dtype and loss.dtype == dtype, (logits.dtype, loss.dtype)
    assert all(layer.compute_dtype == floatx for layer in model.layers)
    return {"loss": float(loss.detach()), "logits": logits.detach().to(torch.float64).numpy().tolist(),
            "gradient_norms": norms}, channels


def stem_rounding(name, out):
    """`--stem-rounding`: the float64 `training` step again, with only the first convolution's output rounded to
    float32 (its gradient left exact); prints how far that moves the loss and the late-layer gradient norms."""
    import keras.src.backend.torch.nn as backend_nn
    original = backend_nn.tnn.conv2d
    calls = []

    def conv2d(x, w, *args, **kwargs):
        exact = original(x, w, *args, **kwargs)
        calls.append(1)
        return exact + (exact.float().double() - exact).detach() if len(calls) == 1 else exact

    with open(os.path.join(out, f"{name}_training_step.json")) as f:
        reference = json.load(f)["steps"]["training"]
    backend_nn.tnn.conv2d = conv2d
    try:
        rounded, _ = step(name, "float64", True)
    finally:
        backend_nn.tnn.conv2d = original
    norms = reference["gradient_norms"]
    worst = max((abs(rounded["gradient_norms"][k] - norms[k]) / norms[k], k) for k in reference["late_layers"])
    print(f"{name}: the stem's output rounded to float32 moves the float64 step's loss by "
          f"{abs(rounded['loss'] - reference['loss']) / reference['loss']:.2e} and {worst[1]}'s gradient norm by "
          f"{worst[0]:.2e} (the worst late layer)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the fixture folder holding <model>.json")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--stem-rounding", action="store_true",
                        help="only measure how far rounding the stem's output to float32 moves the recorded step")
    args = parser.parse_args()
    import keras
    import torch
    if args.stem_rounding:
        for name in args.models:
            stem_rounding(name, args.out)
        return
    for name in args.models:
        steps = {}
        for mode, training in MODES[name].items():
            reference, channels = step(name, "float64", training, args.out)
            single, _ = step(name, "float32", training)
            keras.config.set_floatx("float32")
            keras.config.set_dtype_policy("float32")
            # A convolution's bias followed by a BatchNorm on batch statistics has no effect on the loss (the batch
            # mean takes it away): its gradient is zero, recorded as float64 rounding noise, and is not held to a
            # relative bound.
            zero = [key for key in reference["gradient_norms"] if training and name == "resnet50" and key.endswith("_conv/1")]
            keys = [key for layer in MODELS[name][1] for key in reference["gradient_norms"] if key.startswith(layer + "/")]
            late = ["head/0", "head/1"] + [key for key in keys if key not in zero]
            steps[mode] = {"training": training, "batchnorm": BATCHNORM[training] if name == "resnet50" else "none",
                           "late_layers": late, "zero_gradient": zero, **reference, "float32": single}
            worst = max(abs(single["gradient_norms"][k] - reference["gradient_norms"][k]) / reference["gradient_norms"][k]
                        for k in late)
            print(f"{name} {mode}: loss {reference['loss']!r}; Keras float32 vs float64: loss "
                  f"{abs(single['loss'] - reference['loss']) / reference['loss']:.2e}, worst late-layer norm {worst:.2e}")
        fixture = {
            "model": name, "framework": "keras " + keras.__version__ + ", torch " + torch.__version__,
            "backend": keras.backend.backend(), "computation": "float64 (keras.config.set_floatx and dtype policy)",
            "base": f"keras.applications.{MODELS[name][0]}(weights=None, include_top=False, pooling='avg', "
                    f"input_shape=({SIZE}, {SIZE}, 3)), every weight by the scrambled formula of "
                    f"applications_fixtures.py (the numbering of {name}.json)",
            "size": SIZE, "batch": BATCH, "labels": LABELS, "classes": CLASSES,
            "input_formula": "x[n, c, h, w] = sin(0.01 (c H W + h W + w) + n), rounded to float32, NHWC for Keras",
            "weight_formula": "u = sin(0.731 i + 1.37 k + 0.37 (i^2 mod 1009)); kernel u 2 / sqrt(fan_in), bias and "
                              "beta 0.05 u, gamma 1 + 0.1 u, mean 0.1 u, variance 1 + 0.25 (u + 1)",
            "head": f"Dense({CLASSES}, name='head') on the pooled {channels} channels: kernel [in, out] = formula "
                    f"kernel k={HEAD_KERNEL_K}, fan_in={channels}; bias = formula bias k={HEAD_BIAS_K}",
            "head_kernel": {"k": HEAD_KERNEL_K, "fan_in": channels, "shape": [channels, CLASSES]},
            "head_bias": {"k": HEAD_BIAS_K, "shape": [CLASSES]},
            "loss_function": "mean sparse categorical cross-entropy from logits",
            "gradient_keys": "<layer>/<index in layer.weights>, as Keras's weight files number them",
            "steps": steps,
        }
        path = os.path.join(args.out, f"{name}_training_step.json")
        with open(path, "w") as f:
            json.dump(fixture, f, indent=1)
        print(f"{name}: wrote {path}")


if __name__ == "__main__":
    main()
