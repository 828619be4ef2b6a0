def tenant(request):
    """The current medspa and membership, for the top bar and menus."""
    return {
        "current_medspa": getattr(request, "medspa", None),
        "current_membership": getattr(request, "membership", None),
    }
