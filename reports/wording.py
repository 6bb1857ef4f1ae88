"""The standard wording of a pledge appraisal, as catalog messages.

These are the defaults of :class:`reports.info.ReportInfo` (assumptions, special matters, limits of
use, the other users and the purpose) and the fixed statements of the report's parts (bases,
procedures, definitions). Each is an English message id, translated by the catalog of the report's
language when printed; text a client or appraiser writes instead is printed as written.
"""

from __future__ import annotations

from models.enums import ValueType
from reports.i18n import N_

PLEDGE_PURPOSE = N_(
    "The client intends to pledge the patent rights described in this report as security for a "
    "loan (patent pledge financing). This appraisal estimates their value at the base date, as a "
    "reference for the client and the lender in that financing."
)

OTHER_USERS = (
    N_("The lender (pledgee) to whom the patent rights are to be pledged"),
    N_("The patent pledge registration authority (CNIPA), for registering the pledge"),
)
USERS_STATEMENT = N_(
    "No other person is a user of this report unless the law provides otherwise or the client "
    "and the appraisal firm agree in writing."
)

VALUE_TYPE_DEFINITIONS = {
    ValueType.MARKET_VALUE: N_(
        "Market value is the estimated amount for which the patent rights would be exchanged at "
        "the base date between a willing buyer and a willing seller in an arm's-length "
        "transaction, after proper marketing, each acting knowledgeably, prudently and without "
        "compulsion."
    ),
    ValueType.REALISABLE_VALUE: N_(
        "Realisable value is the estimated amount the patent rights would fetch if they had to "
        "be sold within a short period, as a lender sells a pledged right to recover a loan: the "
        "market value less a realisation haircut."
    ),
}
CONCLUSIONS = {
    ValueType.MARKET_VALUE: N_(
        "As at the base date %(day)s, the market value of the patent rights appraised is "
        "%(amount)s."
    ),
    ValueType.REALISABLE_VALUE: N_(
        "As at the base date %(day)s, the realisable value of the patent rights appraised is "
        "%(amount)s."
    ),
}
"""The conclusion's sentence for each value type."""
PLEDGE_OUTPUTS_NOTE = N_(
    "For the lender, the report also states the realisable value (market value less a "
    "realisation haircut placed by the indicator score) and the maximum loan the patent rights "
    "support under the pledge-rate cap of their patent type."
)

BASE_DATE_STATEMENT = N_(
    "The client chose the base date to be close to the date of the intended financing. All "
    "values, prices and rates in this report are as at the base date; later events are not "
    "reflected unless stated under the special matters."
)

LEGAL_BASES = (
    N_("Asset Appraisal Law of the People's Republic of China (2016)"),
    N_("Civil Code of the People's Republic of China, Articles 440 and 444 (pledge of rights)"),
    N_("Patent Law of the People's Republic of China (amended 2020)"),
    N_("CNIPA Measures for Patent Pledge Registration (2021)"),
)
STANDARD_BASES = (
    N_("China Appraisal Society, Guiding Opinions on Patent Asset Appraisal"),
    N_("GB/T 42748-2023 Guidelines for Patent Evaluation"),
    N_("International Valuation Standards, IVS 210 Intangible Assets"),
)
OWNERSHIP_BASES = (
    N_("Patent certificates and extracts of the patent register provided by the client"),
    N_("The client's statement of the ownership, licences and encumbrances of the patent rights"),
)
PRICING_BASES = (
    N_("Revenue and cost information of the products using the patents, provided by the client"),
    N_("The constants cited in Annex B, each with its source"),
)

METHODS_STATEMENT = (
    N_(
        "The income approach (relief from royalty) is the primary method: a patent is worth the "
        "income it protects, over the shorter of its economic life and its remaining legal term, "
        "with no terminal value."
    ),
    N_(
        "The market approach values a patent from its bibliographic features with a model fitted "
        "on observed renewal decisions or transaction prices; it corroborates the income approach."
    ),
    N_(
        "The cost approach measures the cost of recreating the invention less obsolescence; it is "
        "a floor for corroboration and carries no weight unless no other approach can be applied."
    ),
)
WEIGHTS_STATEMENT = N_(
    "The approaches applied are weighted into one value; the weight of each approach and the "
    "reason for it are stated below and, patent by patent, in Annex A."
)
WEIGHTS_STATEMENT_NO_ANNEX = N_(
    "The approaches applied are weighted into one value; the weight of each approach and the "
    "reason for it are stated below."
)

PROCEDURES = (
    N_(
        "Accepted the engagement and agreed the purpose, object, base date and value type with "
        "the client."
    ),
    N_(
        "Obtained the patent certificates, register extracts and financial information, and "
        "checked the legal status, ownership and remaining term of each patent."
    ),
    N_(
        "Scored each patent on the indicators of GB/T 42748-2023 from its data; an indicator "
        "with neither data nor an appraiser's assessment took the neutral score."
    ),
    N_(
        "Applied the income, market and cost approaches where their inputs were available, and "
        "reconciled their results."
    ),
)
DEFAULT_WEIGHT_REASONS = {
    "income": N_(
        "Primary method (CAS guidance): a patent is worth the income it protects; weight 0 where "
        "no revenue is given."
    ),
    "market": N_(
        "Corroborates the income approach; where the income approach cannot be applied it "
        "carries the whole weight."
    ),
    "cost": N_("A floor for corroboration: no weight unless no other approach can be applied."),
}
"""Why each approach has its default weight (PATENTVAL-RECONCILE), printed in Part 7."""
WEIGHT_NOT_APPLIED = N_("Not applied (see the reason), so no weight.")
WEIGHT_CORROBORATION = N_("Applied for corroboration only: its weight is 0 (default %(default)s).")
WEIGHT_ONLY = N_("The only approach that could be applied: it carries the whole value.")
WEIGHT_DEFAULT = N_(
    "Default weight %(default)s, renormalised over the approaches applied to %(weight)s."
)
WEIGHT_GIVEN = N_(
    "Weight given for this appraisal (default %(default)s), renormalised over the approaches "
    "applied to %(weight)s."
)

RANGE_PROCEDURE = N_(
    "Estimated the range of the value by a seeded Monte Carlo simulation, and the "
    "sensitivity of the value to each key input."
)
"""Procedure 5, stated only when the report holds a range."""
ISSUE_PROCEDURE = N_("Drew up the report, reviewed it and issued it.")
NO_SIMULATION = N_(
    "No Monte Carlo simulation or sensitivity analysis was requested for this appraisal: the "
    "conclusion states point values only, without a value range (P10 to P90) or the inputs that "
    "move the value most."
)
NO_INCOME_NO_RANGE = N_(
    "The income approach could not be applied to any patent, so no value range (P10 to P90) "
    "and no sensitivity of the value were estimated; the conclusion states point values only."
)
MARKET_MODEL_KINDS = {
    "renewal": N_("Renewal model (ordered probit of the renewal fees paid)"),
    "hedonic": N_("Hedonic price model (least squares on transaction prices)"),
}
MARKET_MODEL_PREDICTS = {
    "renewal": N_(
        "The value of the patent rights that their owners' renewal (maintenance) fee payments "
        "reveal: the number of fees paid is modelled on the patent's bibliographic features, and "
        "put on a money scale through the fee schedule and the discount rate cited in Annex B, "
        "then converted to CNY at the exchange rate cited there. The sample is of US patents, not "
        "of Chinese transactions."
    ),
    "hedonic": N_(
        "The price of the patent rights predicted from the prices of comparable patents "
        "(sales, licences, pledge valuations) and their bibliographic features."
    ),
}
MARKET_MODEL_DATA = (
    N_(
        "us_university_patents_renewals_2004_2005.csv: US university utility patents granted "
        "2004–2005, 5618 rows (plant and reissue patents dropped); target renewals_paid (USPTO "
        "maintenance fees, small entity); third fee censored where its window had not closed "
        "when the data were collected"
    ),
)
"""The shipped model's data description (``default_market_model.json``), for its translation;
another model's is printed as its file gives it."""

NO_RESTRICTIONS = N_("No restriction was placed on the procedures.")
RESTRICTIONS_INTRO = N_(
    "The following restrictions were placed on the procedures; the effect of each on the "
    "conclusion is stated with it:"
)
ASSESSED_WEIGHT_NOTE = N_(
    "The share of the scoring weight resting on data or an appraiser's assessment is stated for "
    "each patent in Annex A; the rest took the neutral score."
)
ASSESSED_WEIGHT_NOTE_NO_ANNEX = N_(
    "The share of the scoring weight resting on data or an appraiser's assessment is stated for "
    "each patent in the working papers (Annex A), which this edition leaves out; the rest took "
    "the neutral score."
)

STANDARD_ASSUMPTIONS = (
    N_(
        "Transaction assumption: the patent rights are valued as if in the course of a "
        "transaction, under simulated market conditions."
    ),
    N_(
        "Open market assumption: the patent rights could be traded freely in an open market "
        "between parties of equal standing."
    ),
    N_(
        "Continued use: the products using the patents continue to be made and sold as at the "
        "base date, as the client has stated."
    ),
    N_(
        "No significant change after the base date in the laws, policies, taxes, interest rates "
        "and economic conditions of the industry."
    ),
    N_(
        "The patent rights stay valid for their remaining legal term, the annual fees being paid "
        "when due."
    ),
    N_(
        "The documents and financial information the client provided are true, complete and lawful."
    ),
    N_(
        "The patent rights are free of any encumbrance, dispute or restriction other than those "
        "stated in this report."
    ),
)

STANDARD_SPECIAL_MATTERS = (
    N_(
        "The conclusion rests on the information the client provided; the appraisers checked it "
        "as described under the procedures but did not audit it."
    ),
    N_(
        "A patent may be declared invalid, in whole or in part; the conclusion assumes that the "
        "patents stay valid as granted."
    ),
    N_(
        "The maximum loan applies the pledge-rate cap of one lender's policy per patent type; "
        "the lender's own credit decision may differ."
    ),
    N_(
        "A clause that the patent rights pass to the creditor on default is void (Civil Code, "
        "Article 428); the pledged rights are realised by an agreed valuation, auction or sale."
    ),
)

RANGE_SPECIAL_MATTER = N_(
    "The value range (P10 to P90) describes the uncertainty of the income approach's inputs "
    "under the stated spreads; it does not guarantee any price."
)
"""Stated among the special matters only when the report holds a range."""
DATED_CONSTANT = N_(
    "The constant %(name)s = %(value)s (source %(source)s, Annex B) is stated as at %(year)s, "
    "while the base date is %(base)s; it has not been updated to the base date, so the figures "
    "resting on it may differ from those the conditions at the base date would give."
)
TERM_ENDED = N_(
    "The term of patent %(number)s ended on %(day)s, before the base date %(base)s: the right "
    "is no longer in force, has no income value and cannot be pledged; it is valued at zero."
)
APPROACHES_DISAGREE = N_(
    "For patent %(number)s the %(high)s gives %(high_value)s and the %(low)s %(low_value)s, "
    "a factor of %(factor)s apart (more than %(limit)s): the reconciled value lies between two "
    "indications that describe the patent differently. The difference should be explained, or "
    "the conclusion should rest on one approach."
)
NOT_IN_FORCE = N_(
    "Patent %(number)s is recorded as %(status)s: the right is not in force at the base date, "
    "has no income value and cannot be pledged; it is valued at zero."
)

STANDARD_LIMITS_OF_USE = (
    N_("This report may be used only for the purpose and by the users stated in it."),
    N_(
        "No part of this report may be copied, published or given to anyone other than its "
        "users without the written consent of the appraisal firm, unless the law requires it."
    ),
    N_(
        "The conclusion is the appraisers' opinion of value for the stated purpose; it is not a "
        "guarantee of the price at which the patent rights can be sold."
    ),
    N_("The report is valid only with the signatures of the appraisers and the firm's seal."),
)

ELIGIBILITY_NOTES = (
    N_(
        "This certificate pre-checks the patents against the grounds on which CNIPA refuses a "
        "pledge registration and against the lender's policy, on the data given. It is neither a "
        "registration decision nor a credit approval."
    ),
    N_(
        "The indicative loan amount is the lower of the appraised value times the lender's "
        "pledge-rate cap and the appraisal's own maximum loan; it is zero for a patent that "
        "cannot be pledged."
    ),
)
ENGINE_VALUATION_NOTE = N_(
    "Where no appraised value was given, the patent was valued by the engine at the check date "
    "for this indication only; that figure is not an appraisal."
)

PORTFOLIO_NOTES = (
    N_(
        "A pledge counts on a date when it was registered on or before that date and not "
        "released before it."
    ),
    N_("Outstanding balances are those of the pledge file as it was taken."),
    N_(
        "Registrations by year and by month count every pledge registered in the period, "
        "whatever became of it later."
    ),
)
