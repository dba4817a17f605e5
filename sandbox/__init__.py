"""The training ERP every learner practises in (its own models, services, seed and web UI).

Only the package boundary exists so far; the ERP itself is built under issue 3.
"""
