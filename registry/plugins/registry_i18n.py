"""Every page gets ``_`` (the page's language's translator), ``lang`` and the languages to
switch to, from ``registry.i18n``: templates write ``{{ _("Agreements") }}``."""

from datasette import hookimpl

from registry import i18n


def request_language(request) -> str:
    if request is None:
        return i18n.DEFAULT_LANGUAGE
    return i18n.choose(request.args.get("_lang"), request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


@hookimpl
def extra_template_vars(request):
    lang = request_language(request)
    return {"_": i18n.translator(lang), "lang": lang, "languages": i18n.LANGUAGE_NAMES}
