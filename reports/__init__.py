"""Reports: the appraisal report, the eligibility certificate and the portfolio statement, in
Chinese or English, as self-contained HTML or PDF, from the Jinja2 templates in
``templates/reports/``.

``appraisal``, ``eligibility`` and ``portfolio`` assemble each report from the engine's and the
pledge module's results; ``info`` holds the appraisal report's own inputs; ``wording`` and
``vocabulary`` its standard text and the labels of the engine's terms (catalog messages);
``i18n`` the languages and catalogs; ``formatting`` money, numbers and dates (Babel);
``charts`` the SVG charts; ``rendering`` the template environments and the PDF; ``patent_rows``
the patents of a batch-schema file. Nothing here imports FastAPI or SQLAlchemy.
"""
