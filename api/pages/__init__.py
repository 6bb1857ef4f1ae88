"""The pages for people: server-rendered Jinja2, usable without JavaScript, in Chinese (default)
or English.

* :mod:`api.pages.web` — the language of a request, rendering a page (the reports' Jinja2
  environment: autoescaping, the gettext catalog, the reports' money and date formatting), the
  signed-in browser (a session cookie holding a random token, never the API key) and CSRF;
* :mod:`api.pages.forms` — reading and checking the forms, each error naming its field;
* :mod:`api.pages.views` — what a page shows, built from the same service functions as the JSON
  API and the reports' views and charts;
* :mod:`api.pages.routes` — the handlers: sign in and out, the enterprise's eligibility check,
  the bank's appraisals, the regulator's statistics and the navigation dashboard.
"""
