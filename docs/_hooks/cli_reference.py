"""MkDocs hook: the console-script reference (docs/cli.md) generated from the flag definitions.

Each console script's flags are made from a settings dataclass
(betavae_tf.config_flags); this hook defines them into a fresh absl
FlagValues and writes name, default and help, so the page cannot drift from
the code. Where the page says <!-- console scripts -->, the tables go.
"""

import importlib

MARKER = "<!-- console scripts -->"

# console script -> (its module, the settings dataclass "module:Class", extra flags of the script)
SCRIPTS = {
    "betavae-generate": ("betavae_tf.cli.generate", "betavae_tf.data.generate:GenerateRequest"),
    "betavae-import": ("betavae_tf.cli.import_data", "betavae_tf.commands:ImportRequest"),
    "betavae-info": ("betavae_tf.cli.info", "betavae_tf.commands:InfoRequest"),
    "betavae-train": ("betavae_tf.cli.train", "betavae_tf.train_config:TrainConfig"),
    "betavae-export": ("betavae_tf.cli.export", "betavae_tf.commands:ExportRequest"),
    "betavae-analyze": ("betavae_tf.cli.analyze", "betavae_tf.analysis.discovery:AnalyzeConfig"),
    "betavae-reproduce": ("betavae_tf.cli.reproduce", "betavae_tf.analysis.reproduce:ReproduceConfig"),
    "betavae-sample": ("betavae_tf.cli.sample", "betavae_tf.sample_run:SampleConfig"),
}


def _flags_of(script):
    from absl import flags

    from betavae_tf import config_flags

    module, settings = SCRIPTS[script]
    values = flags.FlagValues()
    if script == "betavae-train":
        importlib.import_module(module).define_flags(values)
    else:
        path, name = settings.split(":")
        config_flags.define(getattr(importlib.import_module(path), name), values, module_name=module)
    found = {values[name].name: values[name] for name in values}  # one entry per flag, aliases folded
    return [found[name] for name in sorted(found)], importlib.import_module(module).__doc__


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def reference():
    out = []
    for script in SCRIPTS:
        found, doc = _flags_of(script)
        rows = []
        for flag in found:
            default = flag.default_as_str.strip("'") if flag.default is not None else ""
            rows.append(f"| `--{flag.name}` | {_cell(default)} | {_cell(flag.help)} |")
        summary = (doc or "").strip().split("\n\n")
        out += [f"## {script}", "", summary[0], ""]
        if len(summary) > 1:
            out += ["```sh", *[line.strip() for line in summary[1].splitlines() if line.strip()], "```", ""]
        out += ["| flag | default | meaning |", "|---|---|---|", *rows, ""]
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, reference())
    return markdown
