/* In the page's head, before anything is drawn: the page has JavaScript. Without it (html without the
   "js" class) the stylesheet shows the menu open, since its button needs a script to open it. */
document.documentElement.classList.add("js");
