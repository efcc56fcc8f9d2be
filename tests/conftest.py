"""Shared test settings: quiet TensorFlow, and the repository root for flagfiles."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
