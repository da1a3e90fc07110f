# The reference renderer for ChatTemplateTest: Python's jinja2 configured as transformers
# configures it for chat templates (sandboxed, trim_blocks, lstrip_blocks, loopcontrols, tojson as
# json.dumps with ensure_ascii off, raise_exception). Reads {"template", "messages",
# "add_generation_prompt", "bos_token", "eos_token"} as JSON on stdin, writes the text to stdout.
import json
import sys

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
try:
    text = env.from_string(request["template"]).render(
        messages=request["messages"], add_generation_prompt=request["add_generation_prompt"],
        bos_token=request["bos_token"], eos_token=request["eos_token"])
except TemplateError as e:
    sys.stdout.buffer.write(("ERROR: " + str(e)).encode("utf-8"))
    sys.exit(3)
sys.stdout.buffer.write(text.encode("utf-8"))
