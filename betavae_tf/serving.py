"""TensorFlow Serving: warmup records for an export's assets.extra/tf_serving_warmup_requests.

TF Serving replays the records of that file (TFRecords of
tensorflow.serving.PredictionLog) through the model before it reports the
model ready, so the first real request does not pay for graph
initialisation. The messages are written here in protobuf's wire format from
their field numbers (prediction_log.proto, predict.proto, model.proto of
tensorflow/serving), which avoids a runtime dependency on
tensorflow-serving-api (it pins one TensorFlow minor); the tests parse the
records with that package.

  PredictionLog { PredictLog predict_log = 6; }
  PredictLog    { PredictRequest request = 1; }
  PredictRequest{ ModelSpec model_spec = 1; map<string, TensorProto> inputs = 2; }
  ModelSpec     { string name = 1; string signature_name = 3; }
"""

import numpy as np

WARMUP_FILE = "tf_serving_warmup_requests"
_LEN = 2  # wire type of length-delimited fields


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number, payload):
    """One length-delimited field: tag, length, bytes."""
    return _varint((number << 3) | _LEN) + _varint(len(payload)) + payload


def prediction_log(signature_name, inputs, model_name="betavae"):
    """Serialized PredictionLog of one PredictRequest: {input name: NumPy array}."""
    import tensorflow as tf

    spec = _field(1, model_name.encode()) + _field(3, signature_name.encode())
    request = _field(1, spec)
    for name, value in sorted(inputs.items()):
        tensor = tf.make_tensor_proto(np.asarray(value)).SerializeToString()
        request += _field(2, _field(1, name.encode()) + _field(2, tensor))
    return _field(6, _field(1, request))


def warmup_inputs(config, batch=2, phase=False):
    """One small, valid batch of inputs per signature of an export of a model with this ModelConfig
    (with phase: also the phase signature of an export made from an analysis)."""
    L, C, d = config.lattice_size, config.channels, config.latent_dim
    x = np.zeros((batch, L, L, C), np.float32)
    if C > 1:
        x[..., 0] = 1.0  # a valid one-hot configuration
    return {
        "encode": {"x": x},
        "serving_default": {"x": x},
        "reconstruct": {"x": x},
        "decode": {"z": np.zeros((batch, d), np.float32)},
        "sample": {"seed": np.arange(batch, dtype=np.int32)},
    } | ({"phase": {"x": x}} if phase else {})


def write_warmup(path, config, model_name="betavae", phase=False):
    """Write one warmup record per signature to path (a TFRecord file); model_name is the name the model
    is served under (TF Serving's --model_name)."""
    import tensorflow as tf

    with tf.io.TFRecordWriter(path) as writer:
        for signature, inputs in warmup_inputs(config, phase=phase).items():
            writer.write(prediction_log(signature, inputs, model_name))
