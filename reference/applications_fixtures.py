#!/usr/bin/env python3
"""Reference fixtures for FineTune's Keras-applications and torchvision model families.

Run by hand in a virtual environment outside the project (Keras, torch and torchvision are never FineTune
dependencies); Keras runs on its torch backend, so TensorFlow is not needed:

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch torchvision keras h5py numpy
    KERAS_BACKEND=torch /tmp/refvenv/bin/python reference/applications_fixtures.py \
        --out Tests/TuneModelsTests/Fixtures/applications --models vgg16 [--keep-weights DIR]

For every model and flavour it builds the architecture with `weights=None`, fills every weight with the formula
below, saves it in the framework's own format (Keras: the legacy `.h5` layout `keras.applications` downloads, written
by Keras's own legacy writer, and the Keras 3 `.weights.h5`; torchvision: `torch.save(state_dict)`), runs fixed inputs
(at 224² and 160², InceptionV3 at its default 299² and 160²) and writes `<model>.json`: the saved files' structure
(every HDF5 group, dataset and attribute, or every state-dict key, with shapes and dtypes), the inputs' formula, and
the outputs (logits and pooled features at each size).
The weight files themselves are large; FineTune's tests regenerate them from the recorded structure and the formula.
`tiny` writes two small genuine Keras files (both layouts) that are committed as they are.

Formula (float64, rounded to float32), for the weight numbered k (its position in the recorded list) with flat
index i in the framework's own layout, u = sin(0.731 i + 1.37 k):
  kernel / conv or linear weight: u · 2 / sqrt(fan_in)   (fan_in: all dimensions but the output one)
  bias, beta: 0.05 u;   gamma: 1 + 0.1 u;   moving / running mean: 0.1 u;   moving / running variance: 1 + 0.25 (u + 1)
Inputs (already normalized, NCHW flat index i = c·H·W + h·W + w of sample n): x = sin(0.01 i + n).
"""
import argparse
import json
import math
import os

import numpy as np

SIZES = [224, 160]
# Models whose default input size is not 224 run at their own default first.
MODEL_SIZES = {"inceptionv3": [299, 160]}
BATCH = 2


def sizes_for(name):
    return MODEL_SIZES.get(name, SIZES)


def formula(kind, shape, k, fan_in=None, scrambled=False):
    """The formula weights; `scrambled` adds 0.37 (i² mod 1009) to the phase (see training_step_fixtures.py)."""
    count = int(np.prod(shape)) if len(shape) else 1
    index = np.arange(count, dtype=np.int64)
    phase = 0.731 * index.astype(np.float64) + 1.37 * k
    if scrambled:
        phase = phase + 0.37 * ((index * index) % 1009).astype(np.float64)
    u = np.sin(phase)
    if kind == "kernel":
        values = u * 2.0 / math.sqrt(fan_in)
    elif kind in ("bias", "beta"):
        values = 0.05 * u
    elif kind == "gamma":
        values = 1.0 + 0.1 * u
    elif kind == "mean":
        values = 0.1 * u
    elif kind == "variance":
        values = 1.0 + 0.25 * (u + 1.0)
    else:
        raise ValueError(kind)
    return values.astype(np.float32).reshape(shape)


def inputs(size):
    i = np.arange(3 * size * size, dtype=np.float64)
    batch = np.stack([np.sin(0.01 * i + n) for n in range(BATCH)]).astype(np.float32)
    return batch.reshape(BATCH, 3, size, size)


# ---------------------------------------------------------------- Keras

KERAS = {
    # name: (constructor, kwargs, last feature layer)
    "vgg16": ("VGG16", {}, "block5_pool"),
    "resnet50": ("ResNet50", {}, "conv5_block3_out"),
    "inceptionv3": ("InceptionV3", {}, "mixed10"),
    "mobilenet": ("MobileNet", {}, "conv_pw_13_relu"),
    "mobilenetv2": ("MobileNetV2", {}, "out_relu"),
}


def keras_kind(weight_name):
    leaf = weight_name.split("/")[-1].split(":")[0]
    if leaf in ("kernel", "depthwise_kernel"):
        return "kernel"
    return {"bias": "bias", "beta": "beta", "gamma": "gamma", "moving_mean": "mean",
            "moving_variance": "variance"}[leaf]


def keras_fill(model, scrambled=False):
    """Fills every weight of `model`; returns [(layer, index, weight name, kind, shape, k)]."""
    recorded = []
    k = 0
    for layer in model.layers:
        values = []
        for index, weight in enumerate(layer.weights):
            name = weight.path if hasattr(weight, "path") else weight.name
            kind = keras_kind(name)
            shape = tuple(weight.shape)
            fan_in = int(np.prod(shape[:-1])) if kind == "kernel" else None
            if kind == "kernel" and "depthwise" in name:
                fan_in = int(shape[0] * shape[1])
            values.append(formula(kind, shape, k, fan_in, scrambled))
            recorded.append({"layer": layer.name, "index": index, "name": name, "kind": kind, "shape": list(shape),
                             "k": k, "fan_in": fan_in})
            k += 1
        if values:
            layer.set_weights(values)
    return recorded


def hdf5_tree(path):
    """Every group, dataset and attribute of the HDF5 file at `path`, in h5py's (name) order."""
    import h5py

    def attributes(obj):
        result = []
        for key in sorted(obj.attrs.keys()):
            value = obj.attrs[key]
            array = np.asarray(value)
            entry = {"name": key, "shape": list(array.shape), "dtype": str(array.dtype)}
            if array.dtype.kind in ("S", "O", "U"):
                flat = [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in array.reshape(-1)]
                entry["strings"] = flat
                entry["variable_length"] = h5py.check_string_dtype(obj.attrs.get_id(key).dtype) is not None and \
                    h5py.check_string_dtype(obj.attrs.get_id(key).dtype).length is None
            else:
                entry["numbers"] = array.reshape(-1).astype(np.float64).tolist()
            result.append(entry)
        return result

    nodes = []
    with h5py.File(path, "r") as f:
        nodes.append({"path": "/", "type": "group", "attributes": attributes(f)})

        def visit(name, obj):
            node = {"path": "/" + name, "attributes": attributes(obj)}
            if isinstance(obj, h5py.Dataset):
                node.update(type="dataset", shape=list(obj.shape), dtype=str(obj.dtype))
            else:
                node["type"] = "group"
            nodes.append(node)

        f.visititems(visit)
    return nodes


def keras_model(name, include_top, size):
    import keras
    constructor, kwargs, _ = KERAS[name]
    return getattr(keras.applications, constructor)(weights=None, include_top=include_top,
                                                   input_shape=(size, size, 3), classifier_activation=None, **kwargs)


def keras_fixture(name, out, keep):
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    result = {"framework": "keras " + keras.__version__, "backend": keras.backend.backend(), "outputs": {}}
    sizes = sizes_for(name)
    model = keras_model(name, True, sizes[0])
    result["weights"] = keras_fill(model)
    legacy = os.path.join(keep, f"keras_{name}.h5")
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    modern = os.path.join(keep, f"keras_{name}.weights.h5")
    model.save_weights(modern)
    result["legacy_h5"] = hdf5_tree(legacy)
    result["keras3_weights_h5"] = hdf5_tree(modern)
    last = KERAS[name][2]
    for size in sizes:
        x = np.transpose(inputs(size), (0, 2, 3, 1))
        entry = {}
        if size == sizes[0] or name != "vgg16":
            sized = model if size == sizes[0] else keras_model(name, True, size)
            if sized is not model:
                sized.set_weights(model.get_weights())
            entry["logits"] = np.asarray(sized.predict(x, verbose=0)).tolist()
        else:
            sized = keras_model(name, False, size)
            base_weights = [w for layer in model.layers if layer.name in {l.name for l in sized.layers}
                            for w in layer.get_weights()]
            sized.set_weights(base_weights)
        features = keras.Model(sized.inputs, sized.get_layer(last).output).predict(x, verbose=0)
        entry["pooled_features"] = np.asarray(features).mean(axis=(1, 2)).tolist()
        result["outputs"][str(size)] = entry
    return result


# ---------------------------------------------------------------- torchvision

TORCHVISION = {
    # name: (constructor, kwargs, feature module)
    "vgg16": ("vgg16", {}, "features"),
    "resnet50": ("resnet50", {}, "layer4"),
    # transform_input=True as torchvision sets it when it loads its pretrained weights; aux_logits=False: no AuxLogits
    # module (it runs only in training).
    "inceptionv3": ("inception_v3", {"aux_logits": False, "init_weights": False, "transform_input": True}, "Mixed_7c"),
    "mobilenetv2": ("mobilenet_v2", {}, "features"),
}


def torch_fill(model):
    import torch
    recorded = []
    state = model.state_dict()
    k = 0
    filled = {}
    for key, tensor in state.items():
        leaf = key.split(".")[-1]
        module = model.get_submodule(key.rsplit(".", 1)[0]) if "." in key else model
        is_norm = isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
        if leaf == "num_batches_tracked":
            recorded.append({"key": key, "shape": list(tensor.shape), "dtype": str(tensor.dtype), "kind": "counter"})
            filled[key] = tensor
            continue
        if leaf == "weight":
            kind = "gamma" if is_norm else "kernel"
        elif leaf == "bias":
            kind = "beta" if is_norm else "bias"
        elif leaf == "running_mean":
            kind = "mean"
        elif leaf == "running_var":
            kind = "variance"
        else:
            raise ValueError(key)
        shape = tuple(tensor.shape)
        fan_in = int(np.prod(shape[1:])) if kind == "kernel" else None
        filled[key] = torch.from_numpy(formula(kind, shape, k, fan_in))
        recorded.append({"key": key, "shape": list(shape), "dtype": str(tensor.dtype), "kind": kind, "k": k,
                         "fan_in": fan_in})
        k += 1
    model.load_state_dict(filled)
    return recorded


def torchvision_fixture(name, out, keep):
    import torch
    import torchvision

    constructor, kwargs, feature_module = TORCHVISION[name]
    model = getattr(torchvision.models, constructor)(weights=None, **kwargs).eval()
    result = {"framework": "torchvision " + torchvision.__version__ + ", torch " + torch.__version__, "outputs": {},
              "constructor": {"name": constructor, "kwargs": kwargs}}
    result["weights"] = torch_fill(model)
    torch.save(model.state_dict(), os.path.join(keep, f"torchvision_{name}.pth"))
    captured = {}
    model.get_submodule(feature_module).register_forward_hook(lambda m, i, o: captured.__setitem__("map", o))
    with torch.no_grad():
        for size in sizes_for(name):
            logits = model(torch.from_numpy(inputs(size)))
            result["outputs"][str(size)] = {"logits": logits.numpy().tolist(),
                                            "pooled_features": captured["map"].mean(dim=(2, 3)).numpy().tolist()}
    return result


# ---------------------------------------------------------------- tiny genuine Keras files


def tiny(out):
    """A small functional model with every weight kind the families use, saved by Keras in both layouts."""
    import h5py
    import keras
    from keras import layers
    from keras.src.legacy.saving import legacy_h5_format

    x_in = keras.Input((8, 8, 3), name="input_layer")
    x = layers.ZeroPadding2D(((0, 1), (0, 1)), name="conv1_pad")(x_in)
    x = layers.Conv2D(4, 3, strides=2, name="conv1")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name="conv1_bn")(x)
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="conv_dw")(x)
    x = layers.BatchNormalization(scale=False, name="conv_dw_bn")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(3, name="predictions")(x)
    model = keras.Model(x_in, x, name="tiny")
    recorded = keras_fill(model)
    with h5py.File(os.path.join(out, "keras_tiny.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    model.save_weights(os.path.join(out, "keras_tiny.weights.h5"))
    with open(os.path.join(out, "keras_tiny.json"), "w") as f:
        json.dump({"framework": "keras " + keras.__version__, "weights": recorded}, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the fixture folder (JSON files, and the tiny genuine files)")
    parser.add_argument("--models", nargs="+", default=["tiny", "vgg16"])
    parser.add_argument("--keep-weights", help="where to keep the large weight files (default: a temporary folder)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import tempfile
    keep = args.keep_weights or tempfile.mkdtemp()
    os.makedirs(keep, exist_ok=True)
    for name in args.models:
        if name == "tiny":
            tiny(args.out)
            continue
        fixture = {"model": name, "batch": BATCH, "sizes": sizes_for(name),
                   "input_formula": "x[n, c, h, w] = sin(0.01 (c H W + h W + w) + n)"}
        fixture["keras"] = keras_fixture(name, args.out, keep)
        if name in TORCHVISION:
            fixture["torchvision"] = torchvision_fixture(name, args.out, keep)
        with open(os.path.join(args.out, f"{name}.json"), "w") as f:
            json.dump(fixture, f)
        print(f"{name}: wrote {os.path.join(args.out, name + '.json')}; weight files in {keep}")


if __name__ == "__main__":
    main()
