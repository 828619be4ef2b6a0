"""The domain error: what a service raises when a rule of the product says no (`SlotUnavailable`,
`ClearanceMissing`, `OrderingRefused`, …). Its message is for the person who asked; views and the API
translate it in one place each (`refusals` below for pages, `medspa.api.errors` for the API), the
way pretix's views call a service and turn its error into a message or a status."""

from django.contrib import messages


class DomainError(Exception):
    """A request a rule refuses. The message says why, in words the person at the screen can act on.

    status_code: the API's answer (400 by default; 409 for a conflict such as a time taken meanwhile).
    field: the form or API field the refusal is about, or None for the whole request."""

    status_code: int = 400
    field: str | None = None

    @property
    def message(self) -> str:
        return str(self)

    def api_data(self) -> dict:
        """The API's body, in DRF's shapes: a 400 like a validation error (`{"detail": [message]}`, or the
        field's name instead of `detail`), any other status like DRF's own errors (`{"detail": message}`)."""
        if self.status_code == 400:
            return {self.field or "detail": [self.message]}
        return {"detail": self.message}


class Refusal:
    """The page side of a domain error, as a context manager around a view's service call (see `refusals`)."""

    def __init__(self, request=None, *, form=None):
        self.request = request
        self.form = form
        self.error: DomainError | None = None

    def __enter__(self) -> "Refusal":
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if not isinstance(exc, DomainError):
            return False
        self.error = exc
        if self.form is not None:
            self.form.add_error(exc.field if exc.field in self.form.fields else None, exc.message)
        elif self.request is not None:
            messages.error(self.request, exc.message)
        return True

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""

    @property
    def status_code(self) -> int:
        """The page's status after a refusal: the error's (409 for a conflict, else 400)."""
        return self.error.status_code if self.error is not None else 200


def refusals(request=None, *, form=None) -> Refusal:
    """Around a service call in a view: a DomainError raised in the block is told, and the view goes on after
    the block (its success path returns from inside it). With `form`, as the form's error (on the error's
    field, else the whole form's); with `request`, as an error message on the next page; with neither, only
    kept (`refused.message`) for the view to show. Any other exception goes through.

        with refusals(form=form):
            services.order_submit(...)
            messages.success(request, "Ordered.")
            return redirect(...)
        return render(..., {"form": form}, status=400)
    """
    return Refusal(request, form=form)
