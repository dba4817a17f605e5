"""Business operations of the sandbox ERP, one module per area; each takes a SandboxContext."""
