"""Exception and warning hierarchy of evaltool.

Every error evaltool raises on purpose derives from :class:`EvaltoolError`
(a :class:`ValueError`, so callers that expect ``ValueError`` for bad input
keep working); every warning derives from :class:`EvaltoolWarning`.
The CLI maps ``EvaltoolError`` to exit code 2 and a one-line message.
"""

from __future__ import annotations

__all__ = [
    "EvaltoolError",
    "ConfigError",
    "DataError",
    "EstimationError",
    "MatchingError",
    "RegisterError",
    "ReportError",
    "EvaltoolWarning",
    "BalanceWarning",
    "DataWarning",
    "EstimandWarning",
    "ConvergenceWarning",
    "WeightsWarning",
]


class EvaltoolError(ValueError):
    """Root of all evaltool errors.

    ``key`` optionally names the argument or config key the error is about
    (e.g. ``"caliper"``); the config loader uses it to point at ``file:line``.

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    Catch every error evaltool raises on purpose (it is also a ``ValueError``):

    >>> import evaltool
    >>> try:
    ...     evaltool.match(None, "outreach", ["age"], caliper=-0.2)
    ... except evaltool.EvaltoolError as exc:
    ...     print(type(exc).__name__, exc.key, isinstance(exc, ValueError))
    ConfigError caliper True
    """

    def __init__(self, message: str = "", *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __reduce__(self):  # keep ``key`` across pickling (process pools)
        return (_rebuild, (type(self), str(self), self.key))


def _rebuild(cls: type, message: str, key: str | None) -> "EvaltoolError":
    return cls(message, key=key)


class ConfigError(EvaltoolError):
    """The study configuration is invalid (file, line, key path and allowed values are named).

    The same rules apply to a config's keys and to the Python API's arguments.

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    >>> import evaltool
    >>> evaltool.MatchSpec(caliper=-0.2)
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ConfigError: `caliper` must be a number > 0; got -0.2
    """


class DataError(EvaltoolError):
    """Input data are missing, unreadable or do not fit their declared roles.

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    >>> import evaltool
    >>> evaltool.simulate_study(n=100, treated_share=0.95)
    Traceback (most recent call last):
    ...
    evaltool.exceptions.DataError: `treated_share` must be a number <= 0.9; got 0.95
    """


class EstimationError(EvaltoolError):
    """A model could not be estimated (separation, singular design, no variation...).

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    Age separates the groups perfectly, so the propensity logit has no finite estimate:

    >>> import pandas as pd, evaltool
    >>> d = pd.DataFrame({"t": [0, 0, 0, 1, 1, 1], "age": [20, 21, 22, 40, 41, 42]})
    >>> evaltool.fit_propensity(d, "t", ["age"])
    Traceback (most recent call last):
    ...
    evaltool.exceptions.EstimationError: perfect or quasi-complete separation in the propensity model: treatment is (almost) determined by 'age'; use exact matching on these, coarsen them or drop them
    """


class MatchingError(EstimationError):
    """A matching design could not be formed (no overlap, empty exact stratum...).

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    The treated persons are all in group ``a``, which has no comparison persons:

    >>> import pandas as pd, evaltool
    >>> d = pd.DataFrame({"t": [1, 1, 0, 0], "age": [30, 45, 33, 41], "g": ["a", "a", "b", "b"]})
    >>> evaltool.match(d, "t", ["age"], exact=["g"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evaltool.exceptions.MatchingError: nothing to match: 0 eligible treated and 0 eligible control units ...
    """


class RegisterError(DataError):
    """A weekly status register is inconsistent (unknown codes, duplicate person-weeks...).

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    >>> import pandas as pd, evaltool
    >>> from evaltool.registers import OutcomeSpec, default_code_map_path, load_code_map
    >>> persons = pd.DataFrame({"person_id": [1, 2], "start_week": [202401, 202401]})
    >>> panel = pd.DataFrame({"person_id": [1, 2], "week": [202402, 202402], "code": [131, "XX"]})
    >>> job = OutcomeSpec("job_4w", "any", ("self_support",), window=(1, 4))
    >>> evaltool.derive_outcomes(persons, panel, load_code_map(default_code_map_path()), [job])
    Traceback (most recent call last):
    ...
    evaltool.exceptions.RegisterError: weekly panel: column `code` must hold integer register codes; got 'XX'
    """


class ReportError(EvaltoolError):
    """A report could not be rendered (unknown template, language...).

    Parameters
    ----------
    message : str
        What was found, what was expected and how to fix it.
    key : str, optional
        The argument or config key the error is about (e.g. ``"caliper"``).

    Examples
    --------
    >>> import evaltool
    >>> evaltool.render_report({}, template="annual")
    Traceback (most recent call last):
    ...
    evaltool.exceptions.ReportError: `template` must be one of 'midterm', 'final'; got 'annual'
    """


class EvaltoolWarning(UserWarning):
    """Root of all evaltool warnings.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    Poor balance, extreme weights, dropped rows and non-convergence all derive from it, so one
    filter turns every evaltool warning into an error (here only inside the ``with`` block):

    >>> import warnings, evaltool
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", evaltool.EvaltoolWarning)
    ...     try:
    ...         warnings.warn("3 rows dropped", evaltool.DataWarning)
    ...     except evaltool.EvaltoolWarning as w:
    ...         print(type(w).__name__, w)
    DataWarning 3 rows dropped
    """


class BalanceWarning(EvaltoolWarning):
    """A covariate is poorly balanced after matching or weighting (|SMD| > threshold).

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    >>> import warnings, evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> design = evaltool.match(persons, "outreach", ["age", "prior_support_share"])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     table = evaltool.balance(design, threshold=0.01)
    >>> [w.category.__name__ for w in caught]
    ['BalanceWarning']
    """


class DataWarning(EvaltoolWarning):
    """Rows were dropped or data look suspicious.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    An exact stratum without comparison persons: its treated persons are discarded, with a warning:

    >>> import warnings, pandas as pd, evaltool
    >>> d = pd.DataFrame({"t": [1, 1, 1, 0, 0, 0, 0], "age": [30, 45, 50, 33, 41, 52, 38],
    ...                   "g": ["a", "b", "b", "b", "b", "b", "b"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     design = evaltool.match(d, "t", ["age"], exact=["g"], distance="mahalanobis")
    >>> print(caught[0].category.__name__, caught[0].message)
    DataWarning exact stratum without control units: g='a' (1 treated); these treated units cannot be matched and are discarded
    """


class EstimandWarning(EvaltoolWarning):
    """The estimand changed (e.g. ATT became ATM because treated units were dropped).

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    A caliper leaves some participants unmatched, so the effect is no longer about all of them:

    >>> import warnings, evaltool
    >>> persons = evaltool.simulate_study(n=400, seed=1, panel=False).persons
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     design = evaltool.match(persons, "outreach", ["age", "prior_support_share"], caliper=0.2)
    >>> caught[0].category.__name__, design.estimand.value
    ('EstimandWarning', 'ATM')
    """


class ConvergenceWarning(EvaltoolWarning):
    """An iterative fit did not converge cleanly (propensity logit, Cox model).

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    >>> import evaltool
    >>> issubclass(evaltool.ConvergenceWarning, evaltool.EvaltoolWarning)
    True
    """


class WeightsWarning(EvaltoolWarning):
    """Weights are extreme (a few persons carry much of a group's weight) or were trimmed.

    Attributes
    ----------
    args : tuple of str
        ``(message,)``: what happened and what it means for the result.

    Examples
    --------
    >>> import evaltool
    >>> issubclass(evaltool.WeightsWarning, evaltool.EvaltoolWarning)
    True
    """
