def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_role": "anonymous"}
    from accounts.selectors import user_primary_role

    return {"nav_role": user_primary_role(user)}
