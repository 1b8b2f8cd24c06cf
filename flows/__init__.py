"""sohoa's command line and its Prefect flows: thin wiring over the stages."""

import warnings

# pyHanko imports cryptography's DSA key type, which warns "DSA is deprecated …" at that import: the warning and its
# source line opened every flow run's output in a worker's log, and `prefect deploy`'s (QA136). Set here, before
# any flow module imports pyHanko. sohoa signs with no DSA key; the import is pyHanko's
warnings.filterwarnings("ignore", message="DSA is deprecated", category=UserWarning)
