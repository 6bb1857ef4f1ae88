"""Rendering of appraisal reports, eligibility certificates and portfolio statements from the
Jinja2 templates in ``templates/``."""
